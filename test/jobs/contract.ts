/**
 * The JobBackend contract (worker/src/jobs/types.ts, docs/design.md §4, §6) as one test suite that
 * every backend runs (SQLite: sqliteContract.test.ts, BullMQ: bullmq.test.ts), so the two cannot
 * drift. Cross-worker cases open two backend instances on one store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_MANUAL_ATTEMPTS } from '../../shared/errors.js';
import type { JobError } from '../../shared/schemas.js';
import { isQueueError } from '../../worker/src/jobs/errors.js';
import type { JobBackend, NewJob } from '../../worker/src/jobs/types.js';
import { newJob, valid } from './helpers.js';

/** One test's store, fresh per test. */
export interface ContractStore {
  /** Opens a backend on this store; call it twice for two workers sharing it. */
  open(opts?: { laneConcurrency?: Record<string, number> }): Promise<JobBackend>;
  /** How long after a lease expired the backend may take to offer the job again, ms. */
  reclaimSlackMs: number;
  /** Removes the store (the backends opened are closed before). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NET: JobError = { category: 'network', message: 'connection reset' };
const FATAL: JobError = { category: 'not_found', message: 'video removed' };

/** Resolves the QueueError code (and field) a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (isQueueError(err)) return { code: err.code, field: err.field };
    throw err;
  }
  throw new Error('expected a QueueError, the call resolved');
}

/** The contract suite, run against `makeStore`'s backend. */
export function describeJobBackendContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`JobBackend contract: ${name}`, () => {
    let store: ContractStore;
    const opened: JobBackend[] = [];
    const open = async (opts?: { laneConcurrency?: Record<string, number> }) => {
      const b = await store.open(opts);
      opened.push(b);
      return b;
    };
    /** Leases until a job comes back (a dead holder's job may take reclaimSlackMs). */
    const leaseWithin = async (b: JobBackend, owner: string, leaseMs: number, ms: number) => {
      const end = Date.now() + ms;
      for (;;) {
        const l = await b.lease(owner, leaseMs);
        if (l || Date.now() > end) return l;
        await sleep(25);
      }
    };

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      for (const b of opened.splice(0)) await b.close();
      await store.close();
    });

    it('enqueue is idempotent, within one batch too, until the job finishes', async () => {
      const b = await open();
      const a = newJob();
      const twin: NewJob = { ...a, links: [...a.links].reverse(), dispatchId: '6f1c1d1e-0000-4000-8000-000000000002' };
      const other = newJob();
      const [r1, r2, r3] = await b.enqueue([a, twin, other]);
      expect(r1!.created).toBe(true);
      expect(r2!.created).toBe(false);
      expect(r2!.job.jobId).toBe(r1!.job.jobId);
      expect(r3!.created).toBe(true);
      expect(valid(r1!.job).status).toBe('queued');
      expect(r1!.job.lane).toBe('youtube');
      const [again] = await b.enqueue([a]);
      expect(again).toMatchObject({ created: false, job: { jobId: r1!.job.jobId } });
      expect(await b.enqueue([])).toEqual([]);
      // once finished, the same work is new work
      const l = await b.lease('w', 10_000);
      await b.complete(l!.job.jobId, 'w', { files: [], mediaIds: [] });
      const finished = l!.job.jobId === r1!.job.jobId ? a : other;
      const [fresh] = await b.enqueue([finished]);
      expect(fresh!.created).toBe(true);
      expect(fresh!.job.jobId).not.toBe(l!.job.jobId);
      expect(await b.openCount()).toBe(2);
    });

    it('lease: an expired lease comes back first, then manual retries, then the oldest job', async () => {
      const [a, b2] = [await open(), await open()];
      const [j1, j2, j3, j4] = (await a.enqueue([newJob(), newJob(), newJob(), newJob()])).map((r) => r.job.jobId);
      const first = await a.lease('dead', 300);
      expect(first!.job.jobId).toBe(j1);
      expect(first!.job.status).toBe('downloading');
      expect(first!.leaseExpiresAt).toBeGreaterThan(Date.now());
      const second = await b2.lease('w2', 10_000);
      expect(second!.job.jobId).toBe(j2);
      await b2.fail(j2!, 'w2', FATAL, { action: 'fail', reason: 'not retryable' });
      await sleep(300);
      const back = await leaseWithin(b2, 'w2', 10_000, 300 + store.reclaimSlackMs);
      expect(back!.job.jobId).toBe(j1);
      expect(back!.job.attempt).toBe(1);
      // the dead holder lost it
      expect(await a.heartbeat(j1!, 'dead', 1000)).toBe('lost');
      await expect(rejection(a.complete(j1!, 'dead', { files: [], mediaIds: [] }))).resolves.toMatchObject({ code: 'lease_lost' });
      const retried = await a.retry(j2!);
      expect(retried).toMatchObject({ status: 'queued', attempt: 2 });
      expect((await b2.lease('w2', 10_000))!.job.jobId).toBe(j2);
      expect((await b2.lease('w2', 10_000))!.job.jobId).toBe(j3);
      expect((await b2.lease('w2', 10_000))!.job.jobId).toBe(j4);
      expect(await b2.lease('w2', 10_000)).toBeNull();
      await expect(rejection(a.lease('', 1000))).resolves.toMatchObject({ code: 'invalid_argument' });
      await expect(rejection(a.lease('w', 0))).resolves.toMatchObject({ code: 'invalid_argument' });
    });

    it('heartbeat answers ok (storing progress), lost for another owner or a finished job, cancelled after a cancel', async () => {
      const b = await open();
      const job = (await b.enqueue([newJob()]))[0]!.job;
      await b.lease('w', 10_000);
      expect(await b.heartbeat(job.jobId, 'w', 10_000, { fraction: 0.5, message: 'half' })).toBe('ok');
      expect((await b.get(job.jobId))!.progress).toEqual({ fraction: 0.5, message: 'half' });
      expect(await b.heartbeat(job.jobId, 'w', 10_000)).toBe('ok');
      expect((await b.get(job.jobId))!.progress).toEqual({ fraction: 0.5, message: 'half' });
      expect(await b.heartbeat(job.jobId, 'someone-else', 10_000)).toBe('lost');
      expect(await b.heartbeat('j_unknown', 'w', 10_000)).toBe('lost');
      await b.setStatus(job.jobId, 'w', 'uploading');
      expect((await b.get(job.jobId))!.status).toBe('uploading');
      await expect(rejection(b.setStatus(job.jobId, 'other', 'downloading'))).resolves.toMatchObject({ code: 'lease_lost' });
      const cancelled = await b.cancel(job.jobId);
      expect(cancelled).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' } });
      expect(await b.heartbeat(job.jobId, 'w', 10_000)).toBe('cancelled');
      // the holder kills its work and reports it: the job stays cancelled, its files are kept
      const after = await b.fail(
        job.jobId,
        'w',
        { category: 'cancelled', message: 'killed' },
        { action: 'fail', reason: 'cancelled' },
        {
          files: ['k/partial.mp4'],
          mediaIds: [],
        },
      );
      expect(after).toMatchObject({ status: 'cancelled', files: ['k/partial.mp4'], error: { category: 'cancelled' } });
      expect(await b.heartbeat(job.jobId, 'w', 10_000)).toBe('lost');
    });

    it('complete happens exactly once, merging files with earlier attempts', async () => {
      const b = await open();
      const job = (await b.enqueue([newJob()]))[0]!.job;
      await b.lease('w', 10_000);
      await b.fail(job.jobId, 'w', NET, { action: 'retry', atMs: Date.now(), reason: 'network' }, { files: ['k/a.mp4'], mediaIds: ['a'] });
      const l = await leaseWithin(b, 'w', 10_000, 2000);
      expect(l!.job.jobId).toBe(job.jobId);
      await expect(rejection(b.complete(job.jobId, 'intruder', { files: [], mediaIds: [] }))).resolves.toMatchObject({
        code: 'lease_lost',
      });
      const done = valid(await b.complete(job.jobId, 'w', { files: ['k/a.mp4', 'k/b.mp4'], mediaIds: ['b'] }));
      expect(done).toMatchObject({ status: 'completed', error: null, files: ['k/a.mp4', 'k/b.mp4'], mediaIds: ['a', 'b'], attempt: 2 });
      expect(done.finishedAt).not.toBeNull();
      await expect(rejection(b.complete(job.jobId, 'w', { files: [], mediaIds: [] }))).resolves.toMatchObject({ code: 'lease_lost' });
      await expect(rejection(b.complete('j_unknown', 'w', { files: [], mediaIds: [] }))).resolves.toMatchObject({ code: 'not_found' });
      expect(await b.lease('w', 10_000)).toBeNull();
    });

    it('fail obeys the decision: retry → retrying at atMs with attempt+1, fail → failed', async () => {
      const b = await open();
      const [r1, r2] = await b.enqueue([newJob(), newJob({ options: { ...newJob().options, retry: 'manual' } })]);
      expect(r1!.job.maxAttempts).toBe(3);
      expect(r2!.job.maxAttempts).toBe(MAX_MANUAL_ATTEMPTS);
      const l = await b.lease('w', 10_000);
      const at = Date.now() + 400;
      const retrying = valid(await b.fail(l!.job.jobId, 'w', NET, { action: 'retry', atMs: at, reason: 'network' }));
      expect(retrying).toMatchObject({ status: 'retrying', attempt: 2, error: NET });
      expect(Date.parse(retrying.nextRunAt!)).toBe(at);
      // not due yet: the other job comes first
      const other = await b.lease('w', 10_000);
      expect(other!.job.jobId).toBe(r2!.job.jobId);
      expect(await b.lease('w', 10_000)).toBeNull();
      const failed = valid(await b.fail(other!.job.jobId, 'w', FATAL, { action: 'fail', reason: 'not retryable' }));
      expect(failed).toMatchObject({ status: 'failed', error: FATAL, attempt: 1 });
      expect(failed.finishedAt).not.toBeNull();
      await sleep(400);
      const due = await leaseWithin(b, 'w', 10_000, 2000);
      expect(due).toMatchObject({ job: { jobId: r1!.job.jobId, attempt: 2, status: 'downloading', nextRunAt: null } });
      await expect(rejection(b.fail(r1!.job.jobId, 'x', NET, { action: 'fail', reason: '' }))).resolves.toMatchObject({
        code: 'lease_lost',
      });
      await expect(rejection(b.fail('j_unknown', 'w', NET, { action: 'fail', reason: '' }))).resolves.toMatchObject({ code: 'not_found' });
    });

    it('attempts: a dispatch starts at its attempt, never above the manual limit', async () => {
      const b = await open();
      const [r] = await b.enqueue([newJob({ attempt: 5 })]);
      expect(r!.job).toMatchObject({ attempt: 5, maxAttempts: 5 });
      const l = await b.lease('w', 10_000);
      expect((await b.fail(l!.job.jobId, 'w', NET, { action: 'retry', atMs: Date.now(), reason: '' })).attempt).toBe(6);
    });

    it('cancel: a queued job is never leased; an unknown one is null; a finished one is left as it is', async () => {
      const b = await open();
      const [r1, r2] = await b.enqueue([newJob(), newJob()]);
      const c = valid(await b.cancel(r1!.job.jobId));
      expect(c).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' } });
      expect(c.finishedAt).not.toBeNull();
      expect(await b.cancel('j_unknown')).toBeNull();
      const l = await b.lease('w', 10_000);
      expect(l!.job.jobId).toBe(r2!.job.jobId);
      await b.complete(l!.job.jobId, 'w', { files: [], mediaIds: [] });
      expect((await b.cancel(r2!.job.jobId))!.status).toBe('completed');
      expect(await b.lease('w', 10_000)).toBeNull();
      // a retrying job (waiting for its time) is cancelled too
      const [r3] = await b.enqueue([newJob()]);
      await b.lease('w', 10_000);
      await b.fail(r3!.job.jobId, 'w', NET, { action: 'retry', atMs: Date.now() + 200, reason: '' });
      expect((await b.cancel(r3!.job.jobId))!.status).toBe('cancelled');
      await sleep(250);
      expect(await b.lease('w', 10_000)).toBeNull();
      expect(await b.openCount()).toBe(0);
    });

    it('retry: only failed or cancelled jobs, up to the manual limit, never beside an open twin', async () => {
      const b = await open();
      const work = newJob();
      const [r] = await b.enqueue([work]);
      const id = r!.job.jobId;
      await expect(rejection(b.retry(id))).resolves.toMatchObject({ code: 'conflict' });
      await expect(rejection(b.retry('j_unknown'))).resolves.toMatchObject({ code: 'not_found' });
      await b.cancel(id);
      // the same work dispatched again is a new job, so the old one cannot come back beside it
      const [again] = await b.enqueue([work]);
      expect(again!.created).toBe(true);
      await expect(rejection(b.retry(id))).resolves.toMatchObject({ code: 'conflict' });
      await b.cancel(again!.job.jobId);
      expect(await b.retry(id)).toMatchObject({ status: 'queued', attempt: 2, maxAttempts: MAX_MANUAL_ATTEMPTS });
      const [last] = await b.enqueue([newJob({ attempt: MAX_MANUAL_ATTEMPTS })]);
      await b.cancel(last!.job.jobId);
      await expect(rejection(b.retry(last!.job.jobId))).resolves.toMatchObject({ code: 'attempts_exhausted' });
    });

    it('release hands a held job back to the front of its lane at the same attempt', async () => {
      const b = await open();
      const [r1, r2] = await b.enqueue([newJob(), newJob()]);
      const l = await b.lease('w', 10_000);
      expect(l!.job.jobId).toBe(r1!.job.jobId);
      await b.release(r1!.job.jobId, 'not-the-holder');
      expect((await b.get(r1!.job.jobId))!.status).toBe('downloading');
      await b.release(r1!.job.jobId, 'w');
      expect(await b.get(r1!.job.jobId)).toMatchObject({ status: 'queued', attempt: 1 });
      expect(await b.heartbeat(r1!.job.jobId, 'w', 10_000)).toBe('lost');
      const next = await b.lease('w2', 10_000);
      expect(next!.job).toMatchObject({ jobId: r1!.job.jobId, attempt: 1 });
      expect((await b.lease('w2', 10_000))!.job.jobId).toBe(r2!.job.jobId);
    });

    it('a lane pause holds that lane for every worker and ends by itself', async () => {
      const [a, b] = [await open(), await open()];
      const [yt] = await a.enqueue([newJob()]);
      const [dr] = await a.enqueue([newJob({ source: 'drive', links: ['https://drive.google.com/file/d/abc/view'] })]);
      expect(dr!.job.lane).toBe('drive');
      const until = Date.now() + 600;
      await a.pauseLane({ lane: 'youtube', untilMs: until, reason: 'rate_limit: HTTP Error 429' });
      await a.pauseLane({ lane: 'youtube', untilMs: until - 300, reason: 'earlier: ignored' });
      expect(await b.lanePauses()).toEqual([{ lane: 'youtube', untilMs: until, reason: 'rate_limit: HTTP Error 429' }]);
      const l = await b.lease('wb', 10_000);
      expect(l!.job.jobId).toBe(dr!.job.jobId);
      expect(await b.lease('wb', 10_000)).toBeNull();
      expect(await a.lease('wa', 10_000)).toBeNull();
      await sleep(Math.max(0, until - Date.now()) + 20);
      expect(await a.lanePauses()).toEqual([]);
      expect((await b.lease('wb', 10_000))!.job.jobId).toBe(yt!.job.jobId);
    });

    it('laneConcurrency caps a lane across workers', async () => {
      const caps = { youtube: 1 };
      const [a, b] = [await open({ laneConcurrency: caps }), await open({ laneConcurrency: caps })];
      const [r1, r2] = await a.enqueue([newJob(), newJob()]);
      const [d] = await a.enqueue([newJob({ source: 'drive', links: ['https://drive.google.com/file/d/xyz/view'] })]);
      expect((await a.lease('wa', 10_000))!.job.jobId).toBe(r1!.job.jobId);
      // the youtube lane is full: only the drive job is runnable
      expect((await b.lease('wb', 10_000))!.job.jobId).toBe(d!.job.jobId);
      expect(await b.lease('wb', 10_000)).toBeNull();
      await a.complete(r1!.job.jobId, 'wa', { files: [], mediaIds: [] });
      expect((await b.lease('wb', 10_000))!.job.jobId).toBe(r2!.job.jobId);
    });

    it('list filters and pages newest first with opaque cursors; a bad cursor is invalid_argument naming cursor', async () => {
      const b = await open();
      const ids = (
        await b.enqueue([
          newJob({ rowId: 'r-a' }),
          newJob({ rowId: 'r-b' }),
          newJob({ rowId: 'r-a', source: 'drive', links: ['https://drive.google.com/file/d/q1/view'] }),
          newJob({ rowId: 'r-c', kind: 'reprocess', links: ['people/r-c/metadata.json'] }),
          newJob({ rowId: 'r-d' }),
        ])
      ).map((r) => r.job.jobId);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const p = await b.list({ limit: 2, ...(cursor ? { cursor } : {}) });
        expect(p.jobs.length).toBeLessThanOrEqual(2);
        seen.push(...p.jobs.map((j) => j.jobId));
        if (!p.nextCursor) break;
        cursor = p.nextCursor;
      }
      expect(seen).toEqual([...ids].reverse());
      expect((await b.list({ rowId: 'r-a' })).jobs.map((j) => j.jobId)).toEqual([ids[2], ids[0]]);
      expect((await b.list({ source: 'drive' })).jobs.map((j) => j.jobId)).toEqual([ids[2]]);
      expect((await b.list({ kind: 'reprocess' })).jobs.map((j) => j.jobId)).toEqual([ids[3]]);
      await b.cancel(ids[1]!);
      expect((await b.list({ status: 'cancelled' })).jobs.map((j) => j.jobId)).toEqual([ids[1]]);
      const queued = await b.list({ status: 'queued', limit: 3 });
      expect(queued.jobs.map((j) => j.jobId)).toEqual([ids[4], ids[3], ids[2]]);
      expect((await b.list({ status: 'queued', cursor: queued.nextCursor! })).jobs.map((j) => j.jobId)).toEqual([ids[0]]);
      for (const bad of [
        'garbage',
        '1',
        'j_',
        '-1',
        Buffer.from('{"x":1}').toString('base64'),
        Buffer.from('{"x":1}').toString('base64url'),
      ]) {
        await expect(rejection(b.list({ cursor: bad })), bad).resolves.toEqual({ code: 'invalid_argument', field: 'cursor' });
      }
    });

    it('stats count by status and kind, with success rate and mean duration', async () => {
      const b = await open();
      const empty = await b.stats();
      expect(empty).toMatchObject({ total: 0, successRate: null, meanDurationMs: null });
      await b.enqueue([newJob(), newJob(), newJob(), newJob({ kind: 'reprocess', links: ['p/x/metadata.json'] })]);
      const l1 = await b.lease('w', 10_000);
      await sleep(30);
      await b.complete(l1!.job.jobId, 'w', { files: [], mediaIds: [] });
      const l2 = await b.lease('w', 10_000);
      await b.fail(l2!.job.jobId, 'w', FATAL, { action: 'fail', reason: '' });
      await b.lease('w', 10_000);
      const s = await b.stats();
      expect(s.byStatus).toEqual({ queued: 1, downloading: 1, uploading: 0, completed: 1, failed: 1, retrying: 0, cancelled: 0 });
      expect(s.byKind).toEqual({ archive: 3, reprocess: 1 });
      expect(s.total).toBe(4);
      expect(s.successRate).toBe(0.5);
      expect(s.meanDurationMs).toBeGreaterThanOrEqual(20);
      expect(await b.openCount()).toBe(2);
    });

    it('recordWriteBack stores the refused write and keeps the job as it is', async () => {
      const b = await open();
      const [r] = await b.enqueue([newJob()]);
      await b.lease('w', 10_000);
      await b.complete(r!.job.jobId, 'w', { files: ['k/v.mp4'], mediaIds: ['v'] });
      const writeBack = {
        status: 'refused' as const,
        error: { category: 'data_corruption' as const, message: 'row_id changed' },
        at: new Date().toISOString(),
      };
      await b.recordWriteBack(r!.job.jobId, writeBack);
      await b.recordWriteBack('j_unknown', writeBack);
      const job = valid(await b.get(r!.job.jobId));
      expect(job).toMatchObject({ status: 'completed', error: null, files: ['k/v.mp4'], writeBack });
      expect((await b.stats()).byStatus.completed).toBe(1);
      expect(await b.ping()).toBe(true);
    });
  });
}
