import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS } from '../../shared/errors.js';
import { DispatchOptionsSchema } from '../../shared/schemas.js';
import { createJobBackend, idempotencyKey, isQueueError, QueueError, SqliteJobBackend } from '../../worker/src/jobs/index.js';
import { JOBS_MIGRATIONS } from '../../worker/src/jobs/sqliteSchema.js';
import { newJob, tempDir, valid } from './helpers.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
let clock = T0;
let q: SqliteJobBackend;

beforeEach(async () => {
  clock = T0;
  q = new SqliteJobBackend(':memory:', { now: () => clock });
});
afterEach(() => q.close());

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** The decisions jobs/retry.ts would hand the backend. */
const FAIL = { action: 'fail', reason: 'test' } as const;
const at = (atMs: number) => ({ action: 'retry', atMs, reason: 'test' }) as const;

describe('idempotent enqueue', () => {
  it('returns the open job for the same (spreadsheet, sheet, row, source, links)', async () => {
    const j = newJob({ links: ['https://youtu.be/aaaaaaaaaaa', 'https://youtu.be/bbbbbbbbbbb'] });
    const [first] = await q.enqueue([j]);
    expect(first!.created).toBe(true);
    const job = valid(first!.job);
    expect(job).toMatchObject({ status: 'queued', attempt: 1, maxAttempts: MAX_AUTO_ATTEMPTS, files: [], error: null });
    expect(job.jobId).toMatch(/^j_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(job.createdAt).toBe(new Date(T0).toISOString());
    // same work, links reordered and repeated, another dispatch: same job
    const again = await q.enqueue([{ ...j, dispatchId: 'other', links: [...j.links].reverse().concat(j.links[0]!) }]);
    expect(again[0]).toEqual({ job: first!.job, created: false });
    // also while it runs
    await q.lease('w1', 1000);
    expect((await q.enqueue([j]))[0]!.created).toBe(false);
    expect((await q.list({})).jobs).toHaveLength(1);
  });

  it('dedupes within one batch, and separates different links, sources, rows, sheets', async () => {
    const j = newJob();
    const res = await q.enqueue([
      j,
      j,
      { ...j, links: ['https://youtu.be/ccccccccccc'] },
      { ...j, source: 'drive' },
      { ...j, rowId: 'another' },
      { ...j, sheetId: 7 },
    ]);
    expect(res.map((r) => r.created)).toEqual([true, false, true, true, true, true]);
    expect(res[1]!.job.jobId).toBe(res[0]!.job.jobId);
    expect(new Set(res.map((r) => r.job.jobId)).size).toBe(5);
    expect(await q.openCount()).toBe(5);
  });

  it('creates a new job once the old one finished', async () => {
    const j = newJob();
    const first = (await q.enqueue([j]))[0]!.job;
    const { job } = (await q.lease('w1', 1000))!;
    await q.complete(job.jobId, 'w1', { files: ['a'], mediaIds: ['m'] });
    const second = (await q.enqueue([j]))[0]!;
    expect(second.created).toBe(true);
    expect(second.job.jobId).not.toBe(first.jobId);
    expect(second.job.idempotencyKey).toBe(first.idempotencyKey);
    // and after a cancel
    await q.cancel(second.job.jobId);
    expect((await q.enqueue([j]))[0]!.created).toBe(true);
  });

  it('takes maxAttempts from options.retry and never below the dispatched attempt', async () => {
    const manual = (await q.enqueue([newJob({ options: DispatchOptionsSchema.parse({ retry: 'manual' }), attempt: 4 })]))[0]!.job;
    expect(manual).toMatchObject({ attempt: 4, maxAttempts: MAX_MANUAL_ATTEMPTS });
    const late = (await q.enqueue([newJob({ attempt: 5 })]))[0]!.job;
    expect(late).toMatchObject({ attempt: 5, maxAttempts: 5 });
  });

  it('hashes the key from sorted, de-duplicated links', async () => {
    const base = { spreadsheetId: 's', sheetId: 0, rowId: '1', source: 'youtube' as const };
    expect(idempotencyKey({ ...base, links: ['b', 'a', 'a'] })).toBe(idempotencyKey({ ...base, links: ['a', 'b'] }));
    expect(idempotencyKey({ ...base, links: ['a'] })).not.toBe(idempotencyKey({ ...base, links: ['a', 'b'] }));
    expect(idempotencyKey({ ...base, links: ['a'] })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('leases', () => {
  it('leases oldest first, each job once, and sets startedAt on the first run', async () => {
    const [a, b] = (await q.enqueue([newJob(), newJob()])).map((r) => r.job);
    const l1 = (await q.lease('w1', 30_000))!;
    expect(l1.job.jobId).toBe(a!.jobId);
    expect(valid(l1.job)).toMatchObject({ status: 'downloading', startedAt: new Date(T0).toISOString() });
    expect(l1.leaseExpiresAt).toBe(T0 + 30_000);
    expect((await q.lease('w2', 30_000))!.job.jobId).toBe(b!.jobId);
    expect(await q.lease('w3', 30_000)).toBeNull();
  });

  it('gives a dead holder’s job to another worker once the lease expires', async () => {
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('dead', 5_000);
    await q.setStatus(jobId, 'dead', 'uploading');
    clock += 4_999;
    expect(await q.lease('w2', 5_000)).toBeNull();
    clock += 1;
    const taken = (await q.lease('w2', 5_000))!;
    expect(taken.job).toMatchObject({ jobId, status: 'downloading', attempt: 1, startedAt: new Date(T0).toISOString() });
    // the dead holder is stale now
    expect(await q.heartbeat(jobId, 'dead', 5_000)).toBe('lost');
    expect(await code(() => q.complete(jobId, 'dead', { files: ['x'], mediaIds: [] }))).toBe('lease_lost');
    expect(await code(() => q.fail(jobId, 'dead', { category: 'network', message: 'x' }, FAIL))).toBe('lease_lost');
    expect(await code(() => q.setStatus(jobId, 'dead', 'uploading'))).toBe('lease_lost');
    // the new holder completes exactly once
    expect((await q.complete(jobId, 'w2', { files: ['f'], mediaIds: ['m'] })).status).toBe('completed');
    expect(await code(() => q.complete(jobId, 'w2', { files: ['f'], mediaIds: ['m'] }))).toBe('lease_lost');
  });

  it('puts an expired lease at the front of its lane: with 100 jobs queued it runs again within one lease plus one job', async () => {
    const LEASE = 5_000;
    const JOB_MS = 700;
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('killed', LEASE);
    const expiresAt = clock + LEASE;
    await q.enqueue(Array.from({ length: 100 }, () => newJob()));
    // one live worker runs the backlog, one job at a time, JOB_MS each
    let backAt: number | null = null;
    let done = 0;
    while (backAt === null && done < 101) {
      const l = (await q.lease('alive', LEASE))!;
      if (l.job.jobId === jobId) backAt = clock;
      clock += JOB_MS;
      await q.complete(l.job.jobId, 'alive', { files: [], mediaIds: [] });
      done++;
    }
    expect(backAt).not.toBeNull();
    expect(backAt! - expiresAt).toBeGreaterThanOrEqual(0);
    expect(backAt! - (expiresAt - LEASE)).toBeLessThanOrEqual(LEASE + JOB_MS);
    expect(done).toBeLessThanOrEqual(Math.ceil(LEASE / JOB_MS) + 1);
    expect(await q.openCount()).toBeGreaterThan(90);
    // a paused lane keeps its expired lease waiting too, and another lane's backlog runs
    const other = (
      await q.enqueue([newJob({ source: 'drive', links: ['https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view'] })])
    )[0]!.job;
    const pause = (lane: string, ms: number) => q.pauseLane({ lane, untilMs: clock + ms, reason: 'test' });
    await pause('youtube', 1);
    expect((await q.lease('killed', LEASE, clock))!.job.jobId).toBe(other.jobId);
    clock += LEASE;
    await pause('drive', 10);
    expect((await q.lease('alive', LEASE, clock))!.job.jobId).not.toBe(other.jobId);
    clock += 10;
    await pause('youtube', 10);
    expect((await q.lease('alive', LEASE, clock))!.job.jobId).toBe(other.jobId);
  });

  it('heartbeat keeps the lease alive and stores progress', async () => {
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('w1', 1_000);
    for (let i = 0; i < 5; i++) {
      clock += 800;
      expect(await q.heartbeat(jobId, 'w1', 1_000, { fraction: i / 10 })).toBe('ok');
      expect(await q.lease('w2', 1_000)).toBeNull();
    }
    expect((await q.get(jobId))!.progress).toEqual({ fraction: 0.4 });
    expect(await q.heartbeat(jobId, 'w1', 1_000)).toBe('ok');
    expect((await q.get(jobId))!.progress).toEqual({ fraction: 0.4 });
    expect(await q.heartbeat(jobId, 'someone-else', 1_000)).toBe('lost');
  });

  it('fails a job that keeps losing its holder after maxReclaims takeovers', async () => {
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('w0', 100);
    for (let i = 1; i <= 3; i++) {
      clock += 100;
      expect((await q.lease(`w${i}`, 100))!.job.jobId).toBe(jobId);
    }
    clock += 100;
    expect(await q.lease('w4', 100)).toBeNull();
    expect(valid(await q.get(jobId))).toMatchObject({ status: 'failed', error: { category: 'system' } });
  });

  it('refuses a bad owner or lease length', async () => {
    expect(await code(() => q.lease('', 10))).toBe('invalid_argument');
    expect(await code(() => q.lease('w', 0))).toBe('invalid_argument');
  });
});

describe('fail, backoff and manual retry', () => {
  it('retrying with attempt+1 until nextRunAt, then failed when attempts run out; files accumulate', async () => {
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('w1', 10_000);
    const r1 = await q.fail(jobId, 'w1', { category: 'network', message: 'reset' }, at(clock + 2_000), {
      files: ['a'],
      mediaIds: ['m1'],
    });
    expect(valid(r1)).toMatchObject({
      status: 'retrying',
      attempt: 2,
      nextRunAt: new Date(T0 + 2_000).toISOString(),
      error: { category: 'network', message: 'reset' },
      files: ['a'],
      finishedAt: null,
    });
    expect(await q.openCount()).toBe(1);
    expect(await q.lease('w1', 10_000)).toBeNull();
    clock += 2_000;
    expect((await q.lease('w2', 10_000))!.job).toMatchObject({ jobId, attempt: 2, status: 'downloading', nextRunAt: null });
    const r2 = await q.fail(jobId, 'w2', { category: 'network', message: 'reset' }, at(clock + 4_000), {
      files: ['a', 'b'],
      mediaIds: ['m2'],
    });
    expect(r2).toMatchObject({ status: 'retrying', attempt: 3, files: ['a', 'b'], mediaIds: ['m1', 'm2'] });
    clock += 4_000;
    await q.lease('w3', 10_000);
    // attempt 3 of 3: decideRetry says fail, and the backend obeys
    const r3 = await q.fail(jobId, 'w3', { category: 'network', message: 'reset' }, FAIL);
    expect(valid(r3)).toMatchObject({ status: 'failed', attempt: 3, finishedAt: new Date(clock).toISOString(), files: ['a', 'b'] });
    expect(await q.openCount()).toBe(0);
    expect(await q.lease('w4', 10_000, clock + 60_000)).toBeNull();
  });

  it('a non-retryable failure fails at once; complete clears the error and merges files', async () => {
    const [a, b] = (await q.enqueue([newJob(), newJob()])).map((r) => r.job.jobId);
    await q.lease('w', 1000);
    expect((await q.fail(a!, 'w', { category: 'not_found', message: 'Video unavailable' }, FAIL)).status).toBe('failed');
    await q.lease('w', 1000);
    await q.fail(b!, 'w', { category: 'network', message: 'x' }, at(clock), { files: ['k1'], mediaIds: ['v1'] });
    await q.lease('w', 1000);
    const done = await q.complete(b!, 'w', { files: ['k2', 'k1'], mediaIds: ['v2'] });
    expect(valid(done)).toMatchObject({ status: 'completed', error: null, files: ['k1', 'k2'], mediaIds: ['v1', 'v2'] });
  });

  it('manual retry: failed or cancelled only, up to 10 attempts, codes for the refusals', async () => {
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    expect(await code(() => q.retry(jobId))).toBe('conflict'); // queued
    expect(await code(() => q.retry('j_nope'))).toBe('not_found');
    let attempt = 1;
    for (;;) {
      await q.lease('w', 1000);
      await q.fail(jobId, 'w', { category: 'permission', message: 'Private video' }, FAIL, { files: [`f${attempt}`], mediaIds: [] });
      if (attempt === MAX_MANUAL_ATTEMPTS) break;
      const r = await q.retry(jobId);
      attempt += 1;
      expect(valid(r)).toMatchObject({ status: 'queued', attempt, maxAttempts: MAX_MANUAL_ATTEMPTS, finishedAt: null });
    }
    const err = await (async () => {
      try {
        await q.retry(jobId);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(QueueError);
    expect(isQueueError(err, 'attempts_exhausted')).toBe(true);
    const final = (await q.get(jobId))!;
    expect(final).toMatchObject({ status: 'failed', attempt: 10 });
    expect(final.files).toHaveLength(10);
  });

  it('a manual retry is refused while another open job does the same work', async () => {
    const j = newJob();
    const { jobId } = (await q.enqueue([j]))[0]!.job;
    await q.lease('w', 1000);
    await q.fail(jobId, 'w', { category: 'validation', message: 'bad' }, FAIL);
    const other = (await q.enqueue([j]))[0]!;
    expect(other.created).toBe(true);
    expect(await code(() => q.retry(jobId))).toBe('conflict');
  });
});

describe('cancel', () => {
  it('cancels queued and running jobs; the holder’s heartbeat answers cancelled; finished jobs are unchanged', async () => {
    const [a, b] = (await q.enqueue([newJob(), newJob()])).map((r) => r.job.jobId);
    const lease = (await q.lease('w', 10_000))!;
    expect(lease.job.jobId).toBe(a);
    const c = (await q.cancel(a!))!;
    expect(valid(c)).toMatchObject({
      status: 'cancelled',
      finishedAt: new Date(T0).toISOString(),
      error: { category: 'cancelled', message: 'cancelled on request' },
    });
    expect(await q.heartbeat(a!, 'w', 10_000)).toBe('cancelled');
    expect(await code(() => q.setStatus(a!, 'w', 'uploading'))).toBe('lease_lost');
    // the holder may still record what it archived; the job stays cancelled, and the kill is not its error
    expect(await q.fail(a!, 'w', { category: 'system', message: 'killed' }, at(clock + 1), { files: ['p'], mediaIds: [] })).toMatchObject({
      status: 'cancelled',
      files: ['p'],
      error: { category: 'cancelled' },
    });
    expect(await code(() => q.complete(a!, 'w', { files: [], mediaIds: [] }))).toBe('lease_lost');
    expect(await q.cancel(b!)).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' } });
    expect(await q.lease('w', 10_000)).toBeNull();
    expect(await q.cancel('j_unknown')).toBeNull();
    // a finished job comes back unchanged
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    await q.lease('w', 10_000);
    const done = await q.complete(jobId, 'w', { files: [], mediaIds: [] });
    clock += 5;
    expect(await q.cancel(jobId)).toEqual(done);
    // cancelled jobs can be retried manually
    expect(await q.retry(b!)).toMatchObject({ status: 'queued', attempt: 2 });
  });
});

describe('list and stats', () => {
  it('pages newest first with a cursor that is stable under inserts, and filters', async () => {
    const made = (
      await q.enqueue(Array.from({ length: 25 }, (_, i) => newJob({ rowId: `row${i % 5}`, source: i % 2 ? 'drive' : 'youtube' })))
    ).map((r) => r.job.jobId);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await q.list({ limit: 10, cursor });
      page.jobs.forEach((j) => valid(j));
      seen.push(...page.jobs.map((j) => j.jobId));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
      await q.enqueue([newJob()]); // inserts between pages must not shift them
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());

    expect((await q.list({ rowId: 'row1' })).jobs.map((j) => j.rowId)).toEqual(Array(5).fill('row1'));
    expect((await q.list({ rowId: 'row1', source: 'drive' })).jobs).toHaveLength(3);
    await q.lease('w', 1000);
    expect((await q.list({ status: 'downloading' })).jobs.map((j) => j.jobId)).toEqual([made[0]]);
    expect((await q.list({ limit: 10_000 })).jobs).toHaveLength(28);
    expect((await q.list({})).jobs).toHaveLength(28);
    expect((await q.list({ limit: 0 })).jobs).toHaveLength(1);
    expect(await code(() => q.list({ cursor: 'garbage' }))).toBe('invalid_argument');
  });

  it('caps the page size at 500', async () => {
    await q.enqueue(Array.from({ length: 510 }, () => newJob()));
    const page = await q.list({ limit: 1000 });
    expect(page.jobs).toHaveLength(500);
    expect((await q.list({ cursor: page.nextCursor! })).jobs).toHaveLength(10);
  });

  it('counts every status, the success rate and the mean duration', async () => {
    const empty = await q.stats();
    expect(empty).toEqual({
      byStatus: { queued: 0, downloading: 0, uploading: 0, completed: 0, failed: 0, retrying: 0, cancelled: 0 },
      byKind: { archive: 0, reprocess: 0 },
      successRate: null,
      meanDurationMs: null,
      total: 0,
    });
    const ids = (await q.enqueue(Array.from({ length: 7 }, () => newJob()))).map((r) => r.job.jobId);
    for (const [i, ms] of [1000, 3000, 5000].entries()) {
      await q.lease('w', 60_000);
      clock += ms;
      await q.complete(ids[i]!, 'w', { files: [], mediaIds: [] });
    }
    await q.lease('w', 60_000);
    await q.fail(ids[3]!, 'w', { category: 'permission', message: 'x' }, FAIL);
    await q.lease('w', 60_000);
    await q.fail(ids[4]!, 'w', { category: 'network', message: 'x' }, at(clock + 1000));
    await q.lease('w', 60_000);
    await q.cancel(ids[6]!);
    const s = await q.stats();
    expect(s.byStatus).toEqual({ queued: 0, downloading: 1, uploading: 0, completed: 3, failed: 1, retrying: 1, cancelled: 1 });
    expect(s.total).toBe(7);
    expect(s.successRate).toBe(0.75);
    expect(s.meanDurationMs).toBe(3000);
    expect(await q.openCount()).toBe(2);
  });
});

describe('the store', () => {
  it('persists to a file, shares a handle with other tables, and reports health', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'nested', 'queue.db');
      const fileQueue = createJobBackend({ kind: 'sqlite', path });
      expect(fileQueue.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(fileQueue.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      const { jobId } = (await fileQueue.enqueue([newJob()]))[0]!.job;
      expect(await fileQueue.ping()).toBe(true);
      await fileQueue.close();
      expect(await fileQueue.ping()).toBe(false);
      await fileQueue.close(); // idempotent

      // a handle opened elsewhere (the status outbox shares the file) is used and left open
      const db = new Database(path);
      db.exec('CREATE TABLE IF NOT EXISTS status_outbox (id INTEGER PRIMARY KEY)');
      const shared = new SqliteJobBackend(db);
      expect((await shared.get(jobId))!.status).toBe('queued');
      await shared.close();
      expect(db.open).toBe(true);
      expect(db.prepare("SELECT version FROM schema_versions WHERE component = 'jobs'").get()).toEqual({ version: JOBS_MIGRATIONS.length });
      db.close();
    } finally {
      cleanup();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'q.db');
      await new SqliteJobBackend(path).close();
      const db = new Database(path);
      db.prepare("UPDATE schema_versions SET version = 99 WHERE component = 'jobs'").run();
      db.close();
      expect(() => new SqliteJobBackend(path)).toThrow(/newer/);
    } finally {
      cleanup();
    }
  });
});
