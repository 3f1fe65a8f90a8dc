/**
 * `/metrics` scrape time with 100,000 jobs in the queue (issue 11, target < 50 ms), on both job
 * backends (docs/design.md §6):
 * - SQLite: a queue in a temp folder filled through the queue API (one enqueue transaction, then
 *   leases that complete, fail and schedule retries);
 * - BullMQ: a redis-server started here, the same 100,000 jobs enqueued through the API, and
 *   3,000 of them leased and finished (a BullMQ lease is a few round trips: finishing 30 % would
 *   take minutes, and its gauges read counters and two ranges, whatever the number of jobs).
 * Then the worker's registry with its queue gauges (JobBackend.gauges) and 50 scrapes over HTTP
 * from the metrics listener (the whole path: SQL or Redis, prom-client, HTTP). Prints p50/p99 per
 * backend, BullMQ's ratio to SQLite measured in the same run, and a BENCH_RESULT line.
 *
 *   npx tsx bench/metrics-scrape.ts [jobs=100000] [scrapes=50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchJob } from './support/benchJob.js';
import { silentLogger } from '../worker/src/log.js';
import { startMetricsListener } from '../worker/src/metrics/expose.js';
import { ArchiverMetrics } from '../worker/src/metrics/registry.js';
import { createBullMqBackend } from '../worker/src/jobs/bullmq/index.js';
import { SqliteJobBackend, type JobBackend, type NewJob } from '../worker/src/jobs/index.js';
import { SqliteOutbox } from '../worker/src/report/outbox.js';
import { startRedis } from '../test/support/redis.js';

const N = Number(process.argv[2] ?? 100_000);
const SCRAPES = Number(process.argv[3] ?? 50);
const TARGET_MS = 50;
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
  return benchJob(i, source, link);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Leases `n` jobs and finishes them: 4 of 6 completed, 1 failed, 1 retrying in an hour. */
async function finishSome(queue: JobBackend, n: number): Promise<void> {
  for (let k = 0; k < n; k++) {
    const l = await queue.lease('bench', 60_000);
    if (!l) throw new Error(`only ${k} of ${n} jobs could be leased`);
    if (k % 6 < 4) await queue.complete(l.job.jobId, 'bench', { files: [`${l.job.rowId}/x`], mediaIds: [l.job.rowId] });
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
}

/** p50/p99 of SCRAPES scrapes over HTTP of a registry whose queue gauges read `queue`. */
async function scrapeTimes(
  queue: JobBackend,
  outboxSize: () => number | Promise<number>,
): Promise<{ p50: number; p99: number; max: number; queued: string | undefined }> {
  const metrics = new ArchiverMetrics();
  metrics.observeQueue({
    snapshot: (now) => queue.gauges(now),
    outboxSize,
    pausedLanes: () => queue.lanePauses(),
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
  try {
    const first = await scrape(); // warm-up: prepared statements, JIT, page cache
    for (let k = 0; k < 4; k++) await scrape();
    (globalThis as { gc?: () => void }).gc?.(); // the fill's garbage is not the scrape's
    const times: number[] = [];
    for (let k = 0; k < SCRAPES; k++) {
      const t = performance.now();
      await scrape();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return {
      p50: +pct(times, 50).toFixed(2),
      p99: +pct(times, 99).toFixed(2),
      max: +times[times.length - 1]!.toFixed(2),
      queued: /sheet_archiver_jobs\{status="queued",source="youtube"\} (\d+)/.exec(first)?.[1],
    };
  } finally {
    await listener.close();
  }
}

const BULL_FINISHED = Math.min(3000, Math.floor(N * 0.3));
const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
const redis = await startRedis();
try {
  // NORMAL only to fill the file faster; scrapes only read.
  const queue = new SqliteJobBackend(join(dir, 'queue.db'), { synchronous: 'NORMAL' });
  const outbox = new SqliteOutbox(queue.db);
  let t = performance.now();
  await queue.enqueue(Array.from({ length: N }, (_, i) => job(i)));
  // a mix: 20 % completed, 5 % failed, 5 % retrying, the rest (70 %) still queued
  // one outer transaction: the backend's own transactions nest as savepoints
  queue.db.exec('BEGIN');
  await finishSome(queue, Math.floor(N * 0.3));
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
  const sqlite = await scrapeTimes(queue, () => outbox.size());
  await queue.close();

  t = performance.now();
  const bull = await createBullMqBackend({ url: redis.url, prefix: 'bench' });
  for (let i = 0; i < N; i += 1000) await bull.enqueue(Array.from({ length: Math.min(1000, N - i) }, (_, k) => job(i + k)));
  await finishSome(bull, BULL_FINISHED);
  const bullFillS = (performance.now() - t) / 1000;
  const bullmq = await scrapeTimes(bull, () => 500);
  await bull.close();

  const pass = sqlite.p99 < TARGET_MS && bullmq.p99 < TARGET_MS;
  const ratio = +(bullmq.p50 / sqlite.p50).toFixed(2);
  console.log(`metrics scrape bench: ${N} jobs, ${SCRAPES} scrapes over HTTP per backend; ideal: well under ${TARGET_MS} ms`);
  console.log(
    `  sqlite  (filled in ${fillS.toFixed(1)} s; ${sqlite.queued} youtube jobs queued): p50 ${sqlite.p50} ms   p99 ${sqlite.p99} ms   max ${sqlite.max} ms`,
  );
  console.log(
    `  bullmq  (filled in ${bullFillS.toFixed(1)} s; ${BULL_FINISHED} finished, ${bullmq.queued} youtube jobs queued): p50 ${bullmq.p50} ms   p99 ${bullmq.p99} ms   max ${bullmq.max} ms   (${ratio}× sqlite's p50)`,
  );
  console.log(`  target < ${TARGET_MS} ms (p99, both) → ${pass ? 'PASS' : 'FAIL'}`);
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      bench: 'metrics-scrape',
      jobs: N,
      scrapes: SCRAPES,
      p50Ms: sqlite.p50,
      p99Ms: sqlite.p99,
      bullmqP50Ms: bullmq.p50,
      bullmqP99Ms: bullmq.p99,
      bullmqVsSqlite: ratio,
      targetMs: TARGET_MS,
      pass,
    })}`,
  );
  if (!pass) process.exitCode = 1;
} finally {
  await redis.remove();
  rmSync(dir, { recursive: true, force: true });
}
