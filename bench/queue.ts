/**
 * Queue throughput: N jobs enqueued (in dispatch-sized batches), then leased and completed one by
 * one, on a SQLite file in a temp folder. Runs the same work with synchronous=FULL (the default:
 * survives power loss) and synchronous=NORMAL (survives a process crash only) and prints jobs/s
 * and the ratio, both measured in this run.
 *
 *   npx tsx bench/queue.ts [jobs=10000] [batch=50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchJob } from './support/benchJob.js';
import { SqliteJobBackend, type NewJob } from '../worker/src/jobs/index.js';

const N = Number(process.argv[2] ?? 10_000);
const BATCH = Number(process.argv[3] ?? 50);

function job(i: number): NewJob {
  return benchJob(i, 'youtube', `https://www.youtube.com/watch?v=${String(i).padStart(11, '0')}`);
}

interface Result {
  enqueue: number;
  leaseComplete: number;
}

async function run(synchronous: 'FULL' | 'NORMAL'): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  try {
    const q = new SqliteJobBackend(join(dir, 'queue.db'), { synchronous });
    let t = performance.now();
    for (let i = 0; i < N; i += BATCH) await q.enqueue(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => job(i + k)));
    const enqueue = N / ((performance.now() - t) / 1000);
    t = performance.now();
    let done = 0;
    for (let l = await q.lease('bench', 60_000); l; l = await q.lease('bench', 60_000)) {
      await q.complete(l.job.jobId, 'bench', { files: [`k/${l.job.rowId}`], mediaIds: [l.job.rowId] });
      done++;
    }
    const leaseComplete = done / ((performance.now() - t) / 1000);
    if (done !== N || (await q.stats()).byStatus.completed !== N) throw new Error(`expected ${N} completed, got ${done}`);
    await q.close();
    return { enqueue, leaseComplete };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const normal = await run('NORMAL');
const full = await run('FULL');
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} jobs/s`;
console.log(`queue bench: ${N} jobs, enqueue batches of ${BATCH}, on ${tmpdir()}`);
console.log(
  `  enqueue          FULL ${fmt(full.enqueue)}   NORMAL ${fmt(normal.enqueue)}   FULL/NORMAL ${(full.enqueue / normal.enqueue).toFixed(2)}`,
);
console.log(
  `  lease+complete   FULL ${fmt(full.leaseComplete)}   NORMAL ${fmt(normal.leaseComplete)}   FULL/NORMAL ${(full.leaseComplete / normal.leaseComplete).toFixed(2)}`,
);
console.log(
  `BENCH_RESULT ${JSON.stringify({
    bench: 'queue',
    jobs: N,
    enqueueFullPerS: Math.round(full.enqueue),
    leaseCompleteFullPerS: Math.round(full.leaseComplete),
    leaseCompleteNormalPerS: Math.round(normal.leaseComplete),
    ratio: +(full.leaseComplete / normal.leaseComplete).toFixed(2),
  })}`,
);
