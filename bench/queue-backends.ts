/**
 * Job backends side by side (docs/design.md §6): N jobs enqueued in dispatch-sized batches, then
 * leased and completed one by one — on SQLite
 * (the embedded default, synchronous=FULL) and on BullMQ against a redis-server started here
 * (appendfsync always, so both survive a crash). Prints jobs/s of each, the ratio BullMQ/SQLite
 * measured in this run, and the Redis commands per job from `INFO commandstats` before and after
 * for that lifecycle (target ≤ 60, issue 9) with one lane and with the jobs spread over three
 * lanes, and what one heartbeat with progress costs on top
 * (a runner sends one every few seconds while a job runs).
 *
 *   npx tsx bench/queue-backends.ts [jobs=2000] [batch=50]
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { benchJob } from './support/benchJob.js';
import { createBullMqBackend } from '../worker/src/jobs/bullmq/index.js';
import { SqliteJobBackend } from '../worker/src/jobs/sqlite.js';
import type { JobBackend, NewJob } from '../worker/src/jobs/types.js';
import { startRedis } from '../test/support/redis.js';
import { serverDir } from '../test/support/servers.js';

const N = Number(process.argv[2] ?? 2000);
const BATCH = Number(process.argv[3] ?? 50);
const TARGET_COMMANDS_PER_JOB = 60;
const LEASE_MS = 60_000;

/** Job i; with `spread`, the jobs go round three lanes (youtube, drive, a media host). */
function job(i: number, spread = false): NewJob {
  const lane = spread ? i % 3 : 0;
  const link =
    lane === 1
      ? `https://drive.google.com/file/d/f${i}/view`
      : lane === 2
        ? `http://127.0.0.1:9/clip${i}.mp4`
        : `https://www.youtube.com/watch?v=${String(i).padStart(11, '0')}`;
  return benchJob(i, lane === 1 ? 'drive' : 'youtube', link);
}
const batches = (spread = false): NewJob[][] =>
  Array.from({ length: Math.ceil(N / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, N - b * BATCH) }, (_, k) => job(b * BATCH + k, spread)),
  );

/** enqueue + lease + complete of N jobs on `b`; jobs/s. */
async function lifecycle(b: JobBackend, what: string, spread = false): Promise<number> {
  const t = performance.now();
  for (const batch of batches(spread)) await b.enqueue(batch);
  let done = 0;
  for (let l = await b.lease('bench', LEASE_MS); l; l = await b.lease('bench', LEASE_MS)) {
    await b.complete(l.job.jobId, 'bench', { files: [`k/${l.job.rowId}`], mediaIds: [l.job.rowId] });
    done++;
  }
  const perS = N / ((performance.now() - t) / 1000);
  if (done !== N || (await b.stats()).byStatus.completed !== N) throw new Error(`${what}: expected ${N} completed, got ${done}`);
  return perS;
}

/** SQLite jobs/s (SqliteJobBackend, synchronous=FULL). */
async function sqlite(): Promise<{ perS: number; impl: string }> {
  const { dir, remove } = serverDir('bench-backends-');
  try {
    const b = new SqliteJobBackend(join(dir, 'queue.db'), { synchronous: 'FULL' });
    const perS = await lifecycle(b, 'sqlite');
    await b.close();
    return { perS, impl: 'SqliteJobBackend' };
  } finally {
    remove();
  }
}

/** Sum of `calls=` over every command in INFO commandstats. */
async function commandCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
}

async function bullmq(): Promise<{ perS: number; commandsPerJob: number; commandsPerHeartbeat: number; commandsPerJob3Lanes: number }> {
  const server = await startRedis();
  const probe = new Redis(server.url);
  try {
    const b = await createBullMqBackend({ url: server.url });
    const before = await commandCalls(probe);
    const perS = await lifecycle(b, 'bullmq');
    // the INFO call that reads `before` is counted in `after`
    const commands = (await commandCalls(probe)) - before - 1;
    await b.enqueue([job(N)]);
    const held = (await b.lease('bench', LEASE_MS))!;
    const beats = 100;
    const hb0 = await commandCalls(probe);
    for (let i = 0; i < beats; i++) await b.heartbeat(held.job.jobId, 'bench', LEASE_MS, { fraction: i / beats });
    const commandsPerHeartbeat = ((await commandCalls(probe)) - hb0 - 1) / beats;
    await b.close();
    // the same over three lanes, on a fresh prefix: lease() then orders the lanes (scripts.ts LANES)
    const b3 = await createBullMqBackend({ url: server.url, prefix: 'lanes3' });
    const c3 = await commandCalls(probe);
    await lifecycle(b3, 'bullmq over 3 lanes', true);
    const commandsPerJob3Lanes = ((await commandCalls(probe)) - c3 - 1) / N;
    await b3.close();
    return { perS, commandsPerJob: commands / N, commandsPerHeartbeat, commandsPerJob3Lanes };
  } finally {
    probe.disconnect();
    await server.remove();
  }
}

const sq = await sqlite();
const sqlitePerS = sq.perS;
const bull = await bullmq();
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} jobs/s`;
const ratio = bull.perS / sqlitePerS;
const pass = bull.commandsPerJob <= TARGET_COMMANDS_PER_JOB;
console.log(`queue backends: ${N} jobs (enqueue in batches of ${BATCH}, then lease + complete each)`);
console.log(`  SQLite (FULL, ${sq.impl})`.padEnd(34) + fmt(sqlitePerS));
console.log(`  BullMQ (appendfsync always)     ${fmt(bull.perS)}   BullMQ/SQLite ${ratio.toFixed(2)}×`);
console.log(
  `  Redis commands per job          ${bull.commandsPerJob.toFixed(1)}   target ≤ ${TARGET_COMMANDS_PER_JOB} → ${pass ? 'PASS' : 'FAIL'}`,
);
console.log(`  … over 3 lanes                  ${bull.commandsPerJob3Lanes.toFixed(1)}   (lease orders the lanes)`);
console.log(`  Redis commands per heartbeat    ${bull.commandsPerHeartbeat.toFixed(1)}   (with progress; on top of the above)`);
console.log(
  `BENCH_RESULT ${JSON.stringify({
    bench: 'queue-backends',
    jobs: N,
    sqlitePerS: Math.round(sqlitePerS),
    bullmqPerS: Math.round(bull.perS),
    ratio: +ratio.toFixed(2),
    redisCommandsPerJob: +bull.commandsPerJob.toFixed(1),
    redisCommandsPerJob3Lanes: +bull.commandsPerJob3Lanes.toFixed(1),
    redisCommandsPerHeartbeat: +bull.commandsPerHeartbeat.toFixed(1),
    targetCommandsPerJob: TARGET_COMMANDS_PER_JOB,
    pass,
  })}`,
);
