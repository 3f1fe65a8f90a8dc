/**
 * Three workers' write-back on one real redis-server (docs/design.md §6), into the Sheets
 * stand-in through the real googleapis client:
 * - 600 jobs finishing across the three stay within the shared write budget (5 values:batchUpdate
 *   per 2 s here), asserted on the stand-in's request log, and every update lands;
 * - a worker SIGKILLed while its batch is on the wire loses nothing: another worker sends its
 *   pending updates once its claim has expired.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { addSheets, jobUpdate, maxInWindow, rowsWithStatus, sharedWorker, type SharedWorker } from '../support/sharedReporters.js';
import { until } from '../support/wait.js';

/** Waits until `cond` holds. @throws naming `what` after `timeoutMs` */
const waitFor = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs: number) =>
  until(what, async () => ((await cond()) ? true : undefined), timeoutMs, intervalMs);

const missing = redisUnavailable();
const CHILD = fileURLToPath(new URL('../support/reporterChild.ts', import.meta.url));
let run = 0;

describe.skipIf(missing)('three workers, one Redis, one Sheets quota', () => {
  let redis: RedisHandle;
  let stand: SheetsStandIn;
  let workers: SharedWorker[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.remove();
  });
  beforeEach(async () => {
    stand = await SheetsStandIn.start();
    workers = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await stand.close();
  });

  it('600 jobs: never more than 5 batchUpdates in any 2 s, one per spreadsheet per window, every update lands', async () => {
    const BUDGET = { limit: 5, windowMs: 2000 };
    const sheets = addSheets(stand, 6, 100);
    const prefix = `budget${++run}:`;
    const grants: number[] = [];
    workers = [0, 1, 2].map(() =>
      sharedWorker({
        redisUrl: redis.url,
        sheetsUrl: stand.url,
        prefix,
        budget: BUDGET,
        windowMs: 100,
        lockMs: 10_000,
        onGrant: (at) => grants.push(at),
      }),
    );
    for (const w of workers) w.reporter.start();
    // 600 jobs (100 per spreadsheet), dealt round-robin to the workers, finishing over ~2 s: each
    // sends `downloading` then `completed`.
    const jobs = sheets.flatMap((s) => Array.from({ length: 100 }, (_, k) => [s, k + 1] as const));
    for (let n = 0; n < jobs.length; n += 30) {
      await Promise.all(
        jobs.slice(n, n + 30).map(async ([s, i], k) => {
          const w = workers[(n + k) % 3]!;
          await w.reporter.push(jobUpdate(s, i, 'downloading'));
          await w.reporter.push(jobUpdate(s, i, 'completed'));
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor('all 600 rows completed', () => sheets.every((s) => rowsWithStatus(stand, s, 'completed') === 100), 45_000, 100);
    // the last write's ack may still be on its way
    await waitFor('the outbox to drain', async () => (await workers[0]!.outbox.size()) === 0, 5000, 20);

    const writes = stand.requests.filter((r) => r.op === 'values.batchUpdate');
    expect(writes.every((r) => r.status === 200)).toBe(true);
    // Granted: never more than 5 in any 2 s, across the three workers (the budget's own clock is
    // Redis's, so the grants seen here may be a few ms apart from it).
    expect(grants).toHaveLength(writes.length);
    expect(maxInWindow(grants, BUDGET.windowMs - 50)).toBeLessThanOrEqual(BUDGET.limit);
    // Arrived at the stand-in: each write arrives after its grant plus apply()'s reads, a few ms
    // that vary, so the window on arrival times is checked with that slack (the longest
    // grant-to-arrival delay seen, at least 100 ms).
    const lag = Math.max(100, ...writes.map((w, k) => w.at - [...grants].sort((a, b) => a - b)[k]!));
    expect(
      maxInWindow(
        writes.map((r) => r.at),
        BUDGET.windowMs - lag,
      ),
    ).toBeLessThanOrEqual(BUDGET.limit);
    const spanMs = writes.at(-1)!.at - writes[0]!.at;
    expect(writes.length).toBeLessThanOrEqual(BUDGET.limit * (Math.floor(spanMs / BUDGET.windowMs) + 1));
    // the budget did hold the workers back, and every worker wrote some
    expect(workers.reduce((n, w) => n + w.reporter.stats.budgetWaits, 0)).toBeGreaterThan(0);
    expect(workers.reduce((n, w) => n + w.reporter.stats.batches, 0)).toBe(writes.length);
    expect(workers.reduce((n, w) => n + w.reporter.stats.delivered, 0)).toBeGreaterThanOrEqual(600);
    // batching kept: many updates per write (1200 pushed, 600 rows)
    expect(600 / writes.length).toBeGreaterThanOrEqual(10);
    for (const s of sheets) expect(rowsWithStatus(stand, s, 'completed'), s).toBe(100);
  }, 60_000);

  it('a worker killed mid-write loses nothing: another delivers its pending updates', async () => {
    const sheets = addSheets(stand, 2, 50);
    const prefix = `kill${++run}:`;
    const LOCK_MS = 2500;
    // The child's first write hangs 1.5 s on the wire (shorter than the claim: design §6); it is killed meanwhile.
    stand.injectFault({ times: 1, delayMs: 1500, match: (r) => r.op === 'values.batchUpdate' });
    const all = sheets.flatMap((s) => Array.from({ length: 50 }, (_, k) => [s, k + 1] as const));
    const opts = {
      redisUrl: redis.url,
      sheetsUrl: stand.url,
      prefix,
      windowMs: 50,
      lockMs: LOCK_MS,
      first: all.map(([s, i]) => [s, i, 'downloading']),
      then: all.map(([s, i]) => [s, i, 'completed']),
      thenAfterMs: 300,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
    try {
      await waitFor(
        'the child to push everything with its first write on the wire',
        () => out.includes('pushed') && stand.requests.some((r) => r.op === 'values.batchUpdate' && r.status === 0),
        20_000,
        10,
      );
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`child did not get its write under way: ${(err as Error).message}\n${out}`);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killedAt = Date.now();
    // nothing was written as completed by the child: its one write was the in-flight `downloading` batch
    expect(sheets.map((s) => rowsWithStatus(stand, s, 'completed'))).toEqual([0, 0]);

    const survivor = sharedWorker({ redisUrl: redis.url, sheetsUrl: stand.url, prefix, windowMs: 50, lockMs: LOCK_MS });
    workers = [survivor];
    survivor.reporter.start();
    await waitFor('all 100 rows completed', () => sheets.every((s) => rowsWithStatus(stand, s, 'completed') === 50), 20_000, 50);
    await waitFor('the outbox to drain', async () => (await survivor.outbox.size()) === 0, 5000, 20);
    // the survivor waited for the dead worker's claims to lapse, no longer
    expect(Date.now() - killedAt).toBeLessThan(LOCK_MS + 5000);
    const cells = stand.model.sheet(sheets[0]!, 'People')!.values[1]!;
    expect(cells).toContain('1001/youtube/v1/clip.mp4');
  }, 60_000);
});
