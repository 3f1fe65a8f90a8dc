/**
 * Scale-out benchmark (issue 9, "Benchmarks"; docs/design.md §6): the same jobs on the same Redis,
 * first with 1 worker × concurrency 2, then with 3 workers × concurrency 2. Each worker is a real
 * `sheet-archiver serve` process (API + runner) with REDIS_URL; the jobs are dispatched over the
 * signed API and downloaded from a media host that throttles each connection, so the clips are
 * network-bound and the two cores are not the limit. The ratio is 1-worker wall time / 3-worker
 * wall time; the ideal is 3× (three times the connections at the same throttle), the target ≥ 2.7×.
 *
 *   npx tsx bench/scale-workers.ts [--jobs 36] [--clips 6] [--seconds 2] [--kbps 2000]
 *                                  [--throttle 100000] [--first-byte-ms 200]
 *
 * How it measures:
 *  - the media host runs in a child process (bench/support/mediaHostProcess.ts), Redis is Debian's
 *    redis-server started for the run (test/support/redis.ts, `appendfsync always`), FLUSHALLed
 *    between the two phases; every phase gets fresh data and archive folders;
 *  - `--jobs` rows, each linking one of `--clips` clips (a row id in the query string keeps every
 *    job distinct); the workers are started and ready before the clock starts;
 *  - BENCH_RESULT: baselineS is the 1-worker wall time, archiverS the 3-worker one;
 *  - the wall time runs from the first dispatch to `GET /v1/jobs/stats` counting every job
 *    completed (polled every 100 ms); no Sheets write-back (ARCHIVER_SHEET off);
 *  - CPU seconds of the workers and their yt-dlp children (reaped, from /proc/self/stat) and the
 *    transfer floor (bytes at the throttle over 2 or 6 connections) are printed, to tell a
 *    CPU-bound run from a network-bound one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaHostOptions } from '../test/support/mediaHost.js';
import { startServe, workerEnv, type ServeProcess } from '../test/support/cli.js';
import { startRedis } from '../test/support/redis.js';
import { dispatchBody, signedClient } from '../test/support/signedFetch.js';
import { arg } from './support/children.js';
import { childCpuSeconds, HostProcess, run, type Served } from './support/throttledHost.js';

const SECRET = 'bench-scale-secret-0123456789';
const CONCURRENCY = 2;
const WORKERS = 3;
const IDEAL = WORKERS;
const TARGET = 2.7;

const JOBS = Number(arg('--jobs') ?? 36);
const HOST_OPTIONS: MediaHostOptions = {
  clipCount: Number(arg('--clips') ?? 6),
  clipSeconds: Number(arg('--seconds') ?? 2),
  clipKbps: Number(arg('--kbps') ?? 2000),
  throttleBytesPerSec: Number(arg('--throttle') ?? 100_000),
  firstByteDelayMs: Number(arg('--first-byte-ms') ?? 200),
};

interface Phase {
  workers: number;
  ms: number;
  cpuS: number;
  completed: number;
}

/** Runs the jobs on `n` workers sharing `redisUrl`; resolves with the wall time from dispatch to all completed. */
async function phase(n: number, redisUrl: string, served: Served, tmp: string): Promise<Phase> {
  const dir = await mkdtemp(join(tmp, `phase-${n}-`));
  const procs: ServeProcess[] = [];
  const cpu0 = childCpuSeconds();
  try {
    const env = (i: number) =>
      workerEnv({
        secret: SECRET,
        dataDir: join(dir, `data-${i}`),
        mediaHost: served.host,
        extra: {
          REDIS_URL: redisUrl,
          ARCHIVER_ARCHIVE_DIR: join(dir, 'archive'),
          ARCHIVER_CONCURRENCY: String(CONCURRENCY),
          ARCHIVER_SHEET: 'off',
        },
      });
    procs.push(...(await Promise.all(Array.from({ length: n }, (_, i) => startServe(env(i))))));
    const apis = procs.map((p) => signedClient(p.baseUrl, SECRET));
    const rows = Array.from({ length: JOBS }, (_, i) => ({
      rowId: String(5000 + i),
      rowNumber: i + 2,
      youtube: [`${served.baseUrl}/clips/${served.clips[i % served.clips.length]}.mp4?row=${i}`],
    }));
    const t0 = performance.now();
    // one dispatch per worker, as behind a load balancer
    const per = Math.ceil(JOBS / n);
    for (let i = 0; i < n; i++) {
      const r = await apis[i]!.request('POST', '/v1/dispatch', dispatchBody(rows.slice(i * per, (i + 1) * per)));
      if (r.status !== 202) throw new Error(`dispatch answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    let completed = 0;
    for (;;) {
      const s = await apis[0]!.request('GET', '/v1/jobs/stats');
      completed = s.body.byStatus?.completed ?? 0;
      const failed = s.body.byStatus?.failed ?? 0;
      if (failed) throw new Error(`${failed} jobs failed: ${procs.map((p) => p.stderr().slice(-2000)).join('\n')}`);
      if (completed >= JOBS) break;
      if (performance.now() - t0 > 600_000) throw new Error(`only ${completed}/${JOBS} completed after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = performance.now() - t0;
    for (const p of procs) await p.kill();
    return { workers: n, ms, cpuS: childCpuSeconds() - cpu0, completed };
  } finally {
    for (const p of procs) await p.kill().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

const tmp = await mkdtemp(join(tmpdir(), 'bench-scale-'));
const host = HostProcess.start(HOST_OPTIONS);
const redis = await startRedis();
try {
  const served = await host.next<Served>('serving');
  const warm = await run(process.execPath, [join(process.cwd(), 'bin/sheet-archiver.js'), '--version']);
  if (warm.code !== 0) throw new Error(`sheet-archiver --version failed (npm run build?):\n${warm.out}`);
  const bytes = Array.from({ length: JOBS }, (_, i) => served.clipBytes[served.clips[i % served.clips.length]!]!).reduce(
    (a, b) => a + b,
    0,
  );
  const rate = HOST_OPTIONS.throttleBytesPerSec!;
  const floor = (conns: number) => (bytes / rate + (JOBS * HOST_OPTIONS.firstByteDelayMs!) / 1000) / conns;
  const load0 = loadavg()[0]!;
  console.log(
    `${JOBS} jobs over ${served.clips.length} clips (${(bytes / 1e6).toFixed(1)} MB), host throttle ${(rate / 1e3).toFixed(0)} kB/s per connection, ${HOST_OPTIONS.firstByteDelayMs} ms first byte; ${cpus().length} CPUs, load ${load0.toFixed(2)}`,
  );

  const one = await phase(1, redis.url, served, tmp);
  const flush = redis.client();
  await flush.flushall();
  flush.disconnect();
  const three = await phase(WORKERS, redis.url, served, tmp);
  const ratio = one.ms / three.ms;
  const pass = one.completed === JOBS && three.completed === JOBS && ratio >= TARGET;
  for (const p of [one, three])
    console.log(
      `  ${p.workers} worker(s) × concurrency ${CONCURRENCY}   ${(p.ms / 1000).toFixed(1).padStart(6)} s   CPU ${p.cpuS.toFixed(1)} s (${((p.cpuS / (p.ms / 1000)) * 100).toFixed(0)}% of one core)   transfer floor ${floor(p.workers * CONCURRENCY).toFixed(1)} s`,
    );
  console.log(
    `  ratio     1 worker / ${WORKERS} workers wall time = ${ratio.toFixed(2)}× (ideal ${IDEAL}×, target ≥ ${TARGET}×) → ${pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(`  machine   1-min load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      bench: 'scale-workers',
      jobs: JOBS,
      baselineS: +(one.ms / 1000).toFixed(2),
      archiverS: +(three.ms / 1000).toFixed(2),
      ratio: +ratio.toFixed(2),
      idealRatio: IDEAL,
      targetRatio: TARGET,
      oneWorkerCpuS: +one.cpuS.toFixed(1),
      threeWorkersCpuS: +three.cpuS.toFixed(1),
      loadAvgBefore: +load0.toFixed(2),
      pass,
    })}`,
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  await host.stop();
  await redis.remove();
  await rm(tmp, { recursive: true, force: true });
}
