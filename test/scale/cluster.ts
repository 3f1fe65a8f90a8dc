/**
 * Several real `sheet-archiver serve` processes sharing one Redis (docs/design.md §6), for the
 * multi-worker tests in test/scale/: one redis-server, one media host, one Sheets stand-in holding
 * the rows, and one archive folder every worker writes into (each worker keeps its own data folder).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost, type MediaHostOptions } from '../support/mediaHost.js';
import { startRedis, type RedisHandle } from '../support/redis.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient, type SignedClient } from '../support/signedFetch.js';

export const SECRET = 'scale-secret-0123456789abcdef';
export const SPREADSHEET = 'sheet-1';
const TYPE = 'FF-Fi/Se-CP/B(S) #4';

/** One row of the shared sheet: its id and its one YouTube-lane link. */
export interface ClusterRow {
  rowId: string;
  link: string;
}

export interface Cluster {
  redis: RedisHandle;
  host: MediaHost;
  sheets: SheetsStandIn;
  /** the archive folder shared by every worker */
  archiveDir: string;
  rows: ClusterRow[];
  /** every worker started so far, killed ones included (their stderr stays readable) */
  workers: ServeProcess[];
  /** Starts one more `serve` (API + runner) on the shared Redis and archive. */
  startWorker(extra?: Record<string, string>): Promise<ServeProcess>;
  /** the signed API of a worker */
  api(w: ServeProcess): SignedClient;
  /** the dispatch body of rows [from, to) */
  body(from?: number, to?: number): ReturnType<typeof dispatchBody>;
  /** Kills every worker, stops the servers, deletes the folders. */
  close(): Promise<void>;
}

/**
 * Starts Redis, the media host (options passed on) and the Sheets stand-in with `rows` rows,
 * each linking clip `i % clipCount` (the row id in the query string makes every link, hence every
 * job, distinct while the bytes stay the same clip).
 */
export async function startCluster(o: {
  rows: number;
  media: MediaHostOptions;
  env?: Record<string, string>;
  /** a Drive stand-in the workers fetch Drive links from */
  drive?: { rootUrl: string; publicBaseUrl: string };
}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sa-scale-'));
  const redis = await startRedis();
  const host = await startMediaHost(o.media);
  const rows: ClusterRow[] = Array.from({ length: o.rows }, (_, i) => {
    const rowId = String(1000 + i);
    return { rowId, link: `${host.clipUrl(host.clips[i % host.clips.length]!)}?row=${rowId}` };
  });
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET, [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'video'],
        ...rows.map((r) => [r.rowId, `Person ${r.rowId}`, `p${r.rowId}@example.org`, TYPE, r.link]),
      ],
    },
  ]);
  const sheets = await SheetsStandIn.start({ model });
  const archiveDir = join(dir, 'archive');
  const workers: ServeProcess[] = [];
  return {
    redis,
    host,
    sheets,
    archiveDir,
    rows,
    workers,
    async startWorker(extra = {}) {
      const env = workerEnv({
        secret: SECRET,
        dataDir: join(dir, `data-${workers.length}`),
        mediaHost: host.host,
        sheetsUrl: sheets.url,
        ...(o.drive ? { drive: o.drive } : {}),
        extra: { REDIS_URL: redis.url, ARCHIVER_ARCHIVE_DIR: archiveDir, LOG_LEVEL: 'info', ...o.env, ...extra },
      });
      const w = await startServe(env);
      workers.push(w);
      return w;
    },
    api: (w) => signedClient(w.baseUrl, SECRET),
    body: (from = 0, to = rows.length) =>
      dispatchBody(rows.slice(from, to).map((r, i) => ({ rowId: r.rowId, rowNumber: from + i + 2, youtube: [r.link] }))),
    async close() {
      for (const w of workers) await w.kill().catch(() => {});
      await host.close().catch(() => {});
      await sheets.close().catch(() => {});
      await redis.remove().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON log lines of a worker's stderr. */
export function logLines(w: ServeProcess): Record<string, unknown>[] {
  return w
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function walk(d: string): string[] {
  let entries;
  try {
    entries = readdirSync(d, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
}

/**
 * What the shared archive holds against the completed jobs: `unlisted` files no job's
 * metadata.json lists, `leftovers` (partial or temporary files), `missing` listed files absent or
 * of the wrong size, and the metadata folders of each job.
 */
export function auditArchive(
  archiveDir: string,
  jobs: { jobId: string; files: string[] }[],
): { unlisted: string[]; leftovers: string[]; missing: string[]; mediaPerJob: number[] } {
  const all = walk(archiveDir).map((f) => relative(archiveDir, f));
  const listed = new Set<string>();
  const missing: string[] = [];
  const mediaPerJob: number[] = [];
  for (const j of jobs) {
    const mediaDir = j.files[0]!.split('/').slice(0, 3).join('/');
    const metaKey = `${mediaDir}/metadata.json`;
    listed.add(metaKey);
    const meta = JSON.parse(readFileSync(join(archiveDir, metaKey), 'utf8')) as { files: { key: string; size: number }[] };
    for (const f of meta.files) {
      listed.add(f.key);
      let size = -1;
      try {
        size = statSync(join(archiveDir, f.key)).size;
      } catch {
        /* missing */
      }
      if (size !== f.size) missing.push(f.key);
    }
    mediaPerJob.push(meta.files.filter((f) => f.key.endsWith('.mp4')).length);
  }
  return {
    unlisted: all.filter((f) => !listed.has(f)),
    leftovers: all.filter((f) => /\.(part|ytdl|tmp)$/.test(f) || f.startsWith('.incoming/')),
    missing,
    mediaPerJob,
  };
}

/** The stand-in's row cells by column name, keyed by row id. */
export function sheetRows(sheets: SheetsStandIn): Map<string, Record<string, string>> {
  const sh = sheets.model.sheet(SPREADSHEET, 'People')!;
  const [header, ...rows] = sheets.model.rowsOf(sh);
  return new Map(rows.map((r) => [r[0]!, Object.fromEntries(header!.map((h, i) => [h, r[i] ?? '']))]));
}

/** Every job of the shared queue (pages of 500 through `GET /v1/jobs`). */
export async function allJobs(
  api: SignedClient,
): Promise<{ jobId: string; rowId: string; status: string; attempt: number; files: string[] }[]> {
  const out = [];
  let cursor: string | undefined;
  for (;;) {
    const r = await api.request('GET', `/v1/jobs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (r.status !== 200) throw new Error(`GET /v1/jobs answered ${r.status}: ${JSON.stringify(r.body)}`);
    out.push(...r.body.jobs);
    cursor = r.body.nextCursor ?? undefined;
    if (!cursor) return out;
  }
}
