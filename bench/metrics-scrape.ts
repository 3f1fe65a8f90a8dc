/**
 * `/metrics` scrape time with 100,000 jobs in the queue (issue 11, target < 50 ms): a SQLite
 * queue in a temp folder filled through the queue API (one enqueue transaction, then leases that
 * complete, fail and schedule retries), the worker's registry with its queue gauges, then 50
 * scrapes over HTTP from the metrics listener (the whole path: SQL, prom-client, HTTP). Prints
 * p50/p99 and a BENCH_RESULT line.
 *
 *   npx tsx bench/metrics-scrape.ts [jobs=100000] [scrapes=50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DispatchOptionsSchema } from '../shared/schemas.js';
import { silentLogger } from '../worker/src/log.js';
import { startMetricsListener } from '../worker/src/metrics/expose.js';
import { ArchiverMetrics } from '../worker/src/metrics/registry.js';
import { SqliteJobBackend, type NewJob } from '../worker/src/jobs/index.js';
import { SqliteQueueGauges } from '../worker/src/jobs/sqliteGauges.js';
import { SqliteOutbox } from '../worker/src/report/outbox.js';

const N = Number(process.argv[2] ?? 100_000);
const SCRAPES = Number(process.argv[3] ?? 50);
const TARGET_MS = 50;
const options = DispatchOptionsSchema.parse({});
const HOSTS = ['media-a.example.org', 'media-b.example.org:8443', 'media-c.example.org'];

function job(i: number): NewJob {
  const kind = i % 5;
  const source = kind === 4 ? 'drive' : 'youtube';
  const link =
    kind === 4
      ? `https://drive.google.com/file/d/1${String(i).padStart(32, '0')}/view`
      : kind === 0 || kind === 1
        ? `https://www.youtube.com/watch?v=${String(i).padStart(11, '0')}`
        : `https://${HOSTS[kind - 2]}/clip${i}.mp4`;
  return {
    dispatchId: '00000000-0000-4000-8000-000000000000',
    spreadsheetId: 'bench',
    sheetId: 0,
    sheetName: 'People',
    rowId: String(i),
    rowNumber: i + 2,
    name: 'n',
    email: 'e@example.org',
    type: 't',
    source,
    links: [link],
    attempt: 1,
    options,
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
try {
  // NORMAL only to fill the file faster; scrapes only read.
  const queue = new SqliteJobBackend(join(dir, 'queue.db'), {
    synchronous: 'NORMAL',
  });
  const outbox = new SqliteOutbox(queue.db);
  let t = performance.now();
  await queue.enqueue(Array.from({ length: N }, (_, i) => job(i)));
  // a mix: 20 % completed, 5 % failed, 5 % retrying, the rest (70 %) still queued
  const done = Math.floor(N * 0.3);
  // one outer transaction: the backend's own transactions nest as savepoints
  queue.db.exec('BEGIN');
  for (let k = 0; k < done; k++) {
    const l = (await queue.lease('bench', 60_000))!;
    if (k % 6 < 4)
      await queue.complete(l.job.jobId, 'bench', {
        files: [`${l.job.rowId}/x`],
        mediaIds: [l.job.rowId],
      });
    else if (k % 6 === 4)
      await queue.fail(l.job.jobId, 'bench', { category: 'not_found', message: 'gone' }, { action: 'fail', reason: 'bench' });
    else
      await queue.fail(
        l.job.jobId,
        'bench',
        { category: 'rate_limit', message: '429' },
        { action: 'retry', atMs: Date.now() + 3_600_000, reason: 'bench' },
      );
  }
  queue.db.exec('COMMIT');
  for (let k = 0; k < 500; k++)
    outbox.push({
      spreadsheetId: 'bench',
      sheetId: 0,
      sheetName: 'People',
      rowId: `o${k}`,
      type: 't',
      rowNumberHint: k + 2,
      source: 'youtube',
      status: 'queued',
    });
  const fillS = (performance.now() - t) / 1000;

  const metrics = new ArchiverMetrics();
  const gauges = new SqliteQueueGauges(queue.db);
  metrics.observeQueue({
    snapshot: (now) => gauges.snapshot(now),
    outboxSize: () => outbox.size(),
    pausedLanes: async () => [{ lane: 'youtube' }],
  });
  const listener = (await startMetricsListener(
    metrics,
    { METRICS_PORT: 0, METRICS_HOST: '127.0.0.1', METRICS_TOKEN: undefined },
    silentLogger,
  ))!;

  const scrape = async () => {
    const res = await fetch(listener.url);
    const text = await res.text();
    if (res.status !== 200 || !text.includes('sheet_archiver_jobs{')) throw new Error(`bad scrape: ${res.status}`);
    return text;
  };
  const first = await scrape(); // warm-up: prepared statements, JIT, page cache
  for (let k = 0; k < 4; k++) await scrape();
  (globalThis as { gc?: () => void }).gc?.(); // the fill's garbage is not the scrape's
  const queued = /sheet_archiver_jobs\{status="queued",source="youtube"\} (\d+)/.exec(first)?.[1];
  const times: number[] = [];
  for (let k = 0; k < SCRAPES; k++) {
    t = performance.now();
    await scrape();
    times.push(performance.now() - t);
  }
  await listener.close();
  queue.close();

  times.sort((a, b) => a - b);
  const p50 = +pct(times, 50).toFixed(2);
  const p99 = +pct(times, 99).toFixed(2);
  const pass = p99 < TARGET_MS;
  console.log(
    `metrics scrape bench: ${N} jobs (filled in ${fillS.toFixed(1)} s; ${queued} youtube jobs queued), ${SCRAPES} scrapes over HTTP`,
  );
  console.log(
    `  p50 ${p50} ms   p99 ${p99} ms   max ${times[times.length - 1]!.toFixed(2)} ms   target < ${TARGET_MS} ms → ${pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `BENCH_RESULT ${JSON.stringify({ bench: 'metrics-scrape', jobs: N, scrapes: SCRAPES, p50Ms: p50, p99Ms: p99, targetMs: TARGET_MS, pass })}`,
  );
  if (!pass) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
