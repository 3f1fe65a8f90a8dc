/**
 * Several "workers" writing status back through one Redis (docs/design.md §6), for the tests and
 * the benchmark: each worker is a Reporter with its own ioredis client, a RedisStatusOutbox and a
 * RedisWriteBudget on the same keys, sending to the Sheets stand-in through the real googleapis
 * client. Also the sheets they write to and the status updates of their jobs.
 */
import { Redis } from 'ioredis';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { googleCredentials } from '../../worker/src/google/auth.js';
import { RedisWriteBudget } from '../../worker/src/limits/redisWriteBudget.js';
import type { WriteBudget } from '../../worker/src/limits/writeBudget.js';
import { silentLogger } from '../../worker/src/log.js';
import { RedisStatusOutbox } from '../../worker/src/report/redisOutbox.js';
import { Reporter, type ReporterOptions } from '../../worker/src/report/reporter.js';
import { GoogleSheetsBackend } from '../../worker/src/sheets/google.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';
import type { CellValue } from './sheetModel.js';
import type { SheetsStandIn } from './sheetsStandIn.js';

export const SHEET = 'People';
export const HEADERS = ['row_id', 'name', 'email', 'type', 'link', ...TRACKING_COLUMNS];
/** 0-based column of youtube_status */
export const STATUS_COL = HEADERS.indexOf('youtube_status');

const typeOf = (i: number) => `FF-Fi/Se-CP/B(S) #${i % 5}`;

/** Adds `count` spreadsheets `ss-0…` of `rows` people each (row_id 1000+i, tracking columns present). */
export function addSheets(stand: SheetsStandIn, count: number, rows: number): string[] {
  const ids: string[] = [];
  for (let s = 0; s < count; s++) {
    const values: CellValue[][] = [HEADERS];
    for (let i = 1; i <= rows; i++)
      values.push([String(1000 + i), `Person ${i}`, `p${i}@example.org`, typeOf(i), `https://youtu.be/v${i}`]);
    stand.model.addSpreadsheet(`ss-${s}`, [{ title: SHEET, rows: values }]);
    ids.push(`ss-${s}`);
  }
  return ids;
}

/** The update a job on row i of a spreadsheet sends when it reaches `status`. */
export function jobUpdate(spreadsheetId: string, i: number, status: 'downloading' | 'completed'): StatusUpdate {
  const rowId = String(1000 + i);
  return {
    spreadsheetId,
    sheetId: 0,
    sheetName: SHEET,
    rowId,
    type: typeOf(i),
    rowNumberHint: i + 1,
    source: 'youtube',
    status,
    lastAttempt: '2026-12-02T10:00:00Z',
    ...(status === 'completed' ? { files: [`${rowId}/youtube/v${i}/clip.mp4`], mediaIds: [`v${i}`], error: null } : {}),
  };
}

/** Rows of a spreadsheet whose youtube_status is `status`. */
export function rowsWithStatus(stand: SheetsStandIn, spreadsheetId: string, status: string): number {
  return stand.model.sheet(spreadsheetId, SHEET)!.values.filter((r, k) => k > 0 && r[STATUS_COL] === status).length;
}

export interface SharedWorkerOptions {
  redisUrl: string;
  sheetsUrl: string;
  /** key prefix shared by the workers of one run */
  prefix: string;
  /** the write budget; none: no limit */
  budget?: { limit: number; windowMs: number };
  /** called with the time (ms) of each write the budget granted */
  onGrant?: (at: number) => void;
  /** Reporter window, ms */
  windowMs: number;
  /** outbox claim expiry, ms */
  lockMs: number;
  reporter?: Partial<ReporterOptions>;
}

export interface SharedWorker {
  reporter: Reporter;
  outbox: RedisStatusOutbox;
  redis: Redis;
  /** closes the reporter (a final send) and the client */
  close(): Promise<void>;
}

/** One worker's write-back. Nothing runs until `reporter.start()`. */
export function sharedWorker(o: SharedWorkerOptions): SharedWorker {
  // as the worker's own client (limits/shared.ts): a command fails after 3 reconnects, not 20
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  const outbox = new RedisStatusOutbox({ redis, prefix: `${o.prefix}outbox:`, lockMs: o.lockMs });
  const backend = new GoogleSheetsBackend({
    auth: googleCredentials({ accessToken: 'test-token' }).auth!,
    rootUrl: o.sheetsUrl,
    logger: silentLogger,
    retry: { baseMs: 20, maxMs: 200 },
  });
  const reporter = new Reporter({
    backend,
    outbox,
    windowMs: o.windowMs,
    logger: silentLogger,
    ...(o.budget
      ? {
          budget: recorded(
            new RedisWriteBudget({ redis, account: 'bench@example.iam.gserviceaccount.com', prefix: o.prefix, ...o.budget }),
            o.onGrant,
          ),
        }
      : {}),
    ...o.reporter,
  });
  return {
    reporter,
    outbox,
    redis,
    async close() {
      await reporter.close();
      redis.disconnect();
    },
  };
}

/** The budget, telling `onGrant` when it grants a write. */
function recorded(b: WriteBudget, onGrant?: (at: number) => void): WriteBudget {
  if (!onGrant) return b;
  return {
    limit: b.limit,
    windowMs: b.windowMs,
    take: async () => {
      const a = await b.take();
      if (a.ok) onGrant(Date.now());
      return a;
    },
    sent: (grant) => b.sent(grant),
  };
}

/**
 * The largest number of timestamps (ms) in any window of `windowMs` (half-open, as the budget
 * counts), over sorted `times`.
 */
export function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}
