/**
 * Sheets write efficiency (issue 2, "Benchmarks"): 500 jobs finish over about 30 s (random
 * arrival); each finish is one status update.
 *
 * - batched (this project): update → SqliteOutbox (a SQLite file, as `serve` uses) → Reporter
 *   (2 s window) → GoogleSheetsBackend → the Sheets API v4 stand-in, through the real googleapis
 *   client. Each apply() is one values:batchGet (header + target rows) and one values:batchUpdate.
 * - baseline (the seeds' per-row atomic update), in the same run on its own spreadsheet: one
 *   values:batchUpdate per update, sent when the job finishes, to its known row (no reads).
 *
 * Target: at most 1 write request per 25 updates, and no update delayed more than 3 s from push
 * to landing (apply() resolved: the cells are in the sheet).
 *
 *   npx tsx bench/sheets-writes.ts [--jobs 500] [--seconds 30] [--window-ms 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { google } from 'googleapis';
import { TRACKING_COLUMNS, columnLetter, quoteSheetName } from '../shared/columns.js';
import { silentLogger } from '../worker/src/log.js';
import { SqliteOutbox } from '../worker/src/report/outbox.js';
import { Reporter } from '../worker/src/report/reporter.js';
import { GoogleSheetsBackend } from '../worker/src/sheets/google.js';
import type { StatusUpdate } from '../worker/src/sheets/types.js';
import { SheetsStandIn } from '../test/support/sheetsStandIn.js';
import type { CellValue } from '../test/support/sheetModel.js';
import { googleCredentials } from '../worker/src/google/auth.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '30' },
    'window-ms': { type: 'string', default: '2000' },
  },
});
const JOBS = Number(args.jobs);
const SPREAD_MS = Number(args.seconds) * 1000;
const WINDOW_MS = Number(args['window-ms']);
const TARGET_UPDATES_PER_REQUEST = 25;
const TARGET_MAX_DELAY_MS = 3000;
const SHEET = "People's sheet";
const HEADERS = ['row_id', 'name', 'email', 'type', 'link', 'youtube_playlist', 'google_drive', 'notes', ...TRACKING_COLUMNS];

function sheetRows(): CellValue[][] {
  const rows: CellValue[][] = [HEADERS];
  for (let i = 1; i <= JOBS; i++)
    rows.push([
      String(1000 + i),
      `Person ${i}`,
      `p${i}@example.org`,
      `FF-Fi/Se-CP/B(S) #${i % 5}`,
      `https://youtu.be/abcdefghi${String(i % 100).padStart(2, '0')}`,
    ]);
  return rows;
}

function updateFor(spreadsheetId: string, i: number): StatusUpdate {
  const rowId = String(1000 + i);
  return {
    spreadsheetId,
    sheetId: 0,
    sheetName: SHEET,
    rowId,
    type: `FF-Fi/Se-CP/B(S) #${i % 5}`,
    rowNumberHint: i + 1,
    source: 'youtube',
    status: 'completed',
    files: [`${rowId}/youtube/vid${i}/clip.mp4`, `${rowId}/youtube/vid${i}/clip.en.vtt`],
    mediaIds: [`vid${i}`],
    lastAttempt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    error: null,
  };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main(): Promise<void> {
  const stand = await SheetsStandIn.start();
  stand.model.addSpreadsheet('batched', [{ title: SHEET, rows: sheetRows() }]);
  stand.model.addSpreadsheet('baseline', [{ title: SHEET, rows: sheetRows() }]);
  const auth = googleCredentials({ accessToken: 'test-token' }).auth!;
  const dir = mkdtempSync(join(tmpdir(), 'bench-sheets-'));
  const db = new Database(join(dir, 'queue.sqlite'));
  db.pragma('journal_mode = WAL');
  const outbox = new SqliteOutbox(db);
  const backend = new GoogleSheetsBackend({ auth, rootUrl: stand.url, logger: silentLogger });
  const pushedAt = new Map<string, number>();
  const batchedDelays: number[] = [];
  const batchSizes: number[] = [];
  const reporter = new Reporter({
    backend,
    outbox,
    windowMs: WINDOW_MS,
    logger: silentLogger,
    onDelivered: (entries, outcomes) => {
      const t = Date.now();
      batchSizes.push(entries.length);
      entries.forEach((e, k) => {
        if (outcomes[k]?.ok) batchedDelays.push(t - (pushedAt.get(e.update.rowId) ?? e.createdAt));
      });
    },
  });
  // As `serve` does when a sheet is first dispatched (its requests are counted below too).
  await backend.ensureColumns({ spreadsheetId: 'batched', sheetName: SHEET });
  reporter.start();

  const api = google.sheets({ version: 'v4', auth, rootUrl: stand.url });
  const baselineDelays: number[] = [];
  const q = quoteSheetName(SHEET);
  const firstTracking = HEADERS.indexOf('youtube_status');
  const baselineWrite = async (u: StatusUpdate, t0: number) => {
    // The seeds' per-row atomic update: the row's youtube cells + last attempt + errors, one request.
    const row = u.rowNumberHint;
    const values = [u.status, (u.files ?? []).join(','), (u.mediaIds ?? []).join(','), '', '', '', u.lastAttempt ?? '', ''];
    await api.spreadsheets.values.batchUpdate(
      {
        spreadsheetId: 'baseline',
        requestBody: {
          valueInputOption: 'RAW',
          data: [{ range: `${q}!${columnLetter(firstTracking)}${row}:${columnLetter(firstTracking + 7)}${row}`, values: [values] }],
        },
      },
      { retry: false },
    );
    baselineDelays.push(Date.now() - t0);
  };

  // Random arrival: JOBS finish times spread uniformly over SPREAD_MS.
  const finishAt = Array.from({ length: JOBS }, () => Math.random() * SPREAD_MS).sort((a, b) => a - b);
  const start = Date.now();
  console.log(`Sheets write efficiency: ${JOBS} jobs finishing over ${SPREAD_MS / 1000} s (window ${WINDOW_MS} ms)…`);
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    let done = 0;
    finishAt.forEach((at, k) => {
      const i = k + 1;
      setTimeout(() => {
        const t = Date.now();
        const u = updateFor('batched', i);
        pushedAt.set(u.rowId, t);
        reporter.push(u);
        pending.push(baselineWrite(updateFor('baseline', i), t));
        if (++done === JOBS) resolve();
      }, at);
    });
  });
  await Promise.all(pending);
  // Wait for the last window to go out (the reporter's own timer), then close.
  const deadline = Date.now() + 4 * WINDOW_MS + 5000;
  while ((await outbox.size()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await reporter.close();
  const elapsed = Date.now() - start;

  const reqs = (id: string) => stand.requests.filter((r) => r.spreadsheetId === id && r.status === 200);
  const batchedWrites = reqs('batched').filter((r) => r.op === 'values.batchUpdate').length;
  const batchedReads = reqs('batched').filter((r) => !r.write).length;
  const baselineWrites = reqs('baseline').filter((r) => r.write).length;
  const baselineReads = reqs('baseline').filter((r) => !r.write).length;
  const landed = (id: string) => {
    const sh = stand.model.sheet(id, SHEET)!;
    return sh.values.slice(1).filter((r) => r[firstTracking] === 'completed').length;
  };
  const updatesPerWrite = JOBS / Math.max(1, batchedWrites);
  const maxDelay = Math.max(0, ...batchedDelays);
  const pass =
    batchedWrites * TARGET_UPDATES_PER_REQUEST <= JOBS &&
    maxDelay <= TARGET_MAX_DELAY_MS &&
    landed('batched') === JOBS &&
    (await outbox.size()) === 0;

  const pad = (s: string | number, n = 12) => String(s).padStart(n);
  console.log('');
  console.log(`${''.padEnd(34)}${pad('batched')}${pad('baseline')}`);
  console.log(`${'updates landed'.padEnd(34)}${pad(landed('batched'))}${pad(landed('baseline'))}`);
  console.log(`${'write requests (values:batchUpdate)'.padEnd(34)}${pad(batchedWrites)}${pad(baselineWrites)}`);
  console.log(`${'read requests (GET)'.padEnd(34)}${pad(batchedReads)}${pad(baselineReads)}`);
  console.log(`${'all requests'.padEnd(34)}${pad(batchedWrites + batchedReads)}${pad(baselineWrites + baselineReads)}`);
  console.log(
    `${'updates per write request'.padEnd(34)}${pad(updatesPerWrite.toFixed(1))}${pad((JOBS / Math.max(1, baselineWrites)).toFixed(1))}`,
  );
  console.log(
    `${'updates per request (all)'.padEnd(34)}${pad((JOBS / Math.max(1, batchedWrites + batchedReads)).toFixed(1))}${pad((JOBS / Math.max(1, baselineWrites + baselineReads)).toFixed(1))}`,
  );
  console.log(
    `${'delay push→landed p50 / max (ms)'.padEnd(34)}${pad(`${percentile(batchedDelays, 50)} / ${maxDelay}`)}${pad(`${percentile(baselineDelays, 50)} / ${Math.max(0, ...baselineDelays)}`)}`,
  );
  console.log(
    `${'batch sizes min / mean / max'.padEnd(34)}${pad(`${Math.min(...batchSizes)}/${(JOBS / Math.max(1, batchSizes.length)).toFixed(0)}/${Math.max(...batchSizes)}`)}`,
  );
  console.log('');
  console.log(
    `write requests, baseline / batched: ${(baselineWrites / Math.max(1, batchedWrites)).toFixed(1)}×  (all requests: ${((baselineWrites + baselineReads) / Math.max(1, batchedWrites + batchedReads)).toFixed(1)}×)`,
  );
  console.log(
    `target: ≤ 1 write request per ${TARGET_UPDATES_PER_REQUEST} updates (≤ ${Math.floor(JOBS / TARGET_UPDATES_PER_REQUEST)}), no update delayed > ${TARGET_MAX_DELAY_MS} ms; run took ${(elapsed / 1000).toFixed(1)} s`,
  );
  console.log(pass ? 'PASS' : 'FAIL');
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      bench: 'sheets-writes',
      updates: JOBS,
      batchedWrites,
      baselineWrites,
      updatesPerWrite: +updatesPerWrite.toFixed(1),
      ratio: +(baselineWrites / Math.max(1, batchedWrites)).toFixed(1),
      maxDelayMs: maxDelay,
      pass,
    })}`,
  );

  db.close();
  rmSync(dir, { recursive: true, force: true });
  await stand.close();
  process.exitCode = pass ? 0 : 1;
}

await main();
