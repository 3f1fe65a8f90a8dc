/**
 * Lanes (docs/design.md §4) in the SQLite backend: the lane is stored at enqueue and returned on
 * the job; a pause lives in the file, so every process on it sees it and it survives a restart;
 * laneConcurrency caps live leases across processes; and the order of lease: expired leases and
 * handed-back jobs, then manual retries, then automatic work.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DispatchOptionsSchema, type JobRecord } from '../../shared/schemas.js';
import { laneOf } from '../../worker/src/jobs/lanes.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { tempDir } from './helpers.js';

const job = (rowId: string, source: 'youtube' | 'drive', link: string): NewJob => ({
  dispatchId: 'd',
  spreadsheetId: 's',
  sheetId: 0,
  sheetName: 'P',
  rowId,
  rowNumber: 2,
  name: '',
  email: '',
  type: 'T',
  source,
  links: [link],
  attempt: 1,
  options: DispatchOptionsSchema.parse({}),
});
const yt = (rowId: string) => job(rowId, 'youtube', `https://youtu.be/${rowId.padStart(11, 'x')}`);
const drive = (rowId: string) => job(rowId, 'drive', 'https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view');
const FAIL = { action: 'fail', reason: 'test' } as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two backends on one file, as two worker processes on one machine would have; times from `clock`. */
function twoOnOneFile(opts: { laneConcurrency?: Record<string, number> } = {}) {
  const { dir, cleanup } = tempDir();
  const clock = { now: Date.now() };
  const path = join(dir, 'queue.db');
  const open = () => new SqliteJobBackend(path, { now: () => clock.now, ...opts });
  const a = open();
  const b = open();
  cleanups.push(
    cleanup,
    () => a.close(),
    () => b.close(),
  );
  return { a, b, clock, open, path };
}

describe('lanes', () => {
  it('group jobs by the service they hit', () => {
    expect(laneOf('youtube', ['https://youtu.be/dQw4w9WgXcQ'])).toBe('youtube');
    expect(laneOf('youtube', ['https://m.youtube.com/watch?v=dQw4w9WgXcQ'])).toBe('youtube');
    expect(laneOf('youtube', ['http://127.0.0.1:8123/clips/a.mp4'])).toBe('127.0.0.1:8123');
    expect(laneOf('drive', ['https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view'])).toBe('drive');
  });

  it('the lane is stored at enqueue and returned on the job', async () => {
    const q = new SqliteJobBackend(':memory:');
    cleanups.push(() => q.close());
    const [a, b, c] = await q.enqueue([yt('1'), drive('2'), job('3', 'youtube', 'http://127.0.0.1:8123/clips/a.mp4')]);
    expect([a!.job.lane, b!.job.lane, c!.job.lane]).toEqual(['youtube', 'drive', '127.0.0.1:8123']);
    expect((await q.lease('w', 1000))!.job.lane).toBe('youtube');
    expect((await q.get(c!.job.jobId))!.lane).toBe('127.0.0.1:8123');
  });

  it('a pause set by one process holds the lane for the other, survives a restart, and ends by itself', async () => {
    const { a, b, clock, open } = twoOnOneFile();
    await a.enqueue([yt('1'), drive('2'), yt('3')]);
    await a.pauseLane({ lane: 'youtube', untilMs: clock.now + 5_000, reason: 'rate_limit: HTTP Error 429 (job j_x)' });
    // b never heard of the 429, yet skips the youtube jobs
    expect((await b.lease('w-b', 60_000))!.job.rowId).toBe('2');
    expect(await b.lease('w-b', 60_000)).toBeNull();
    expect(await b.lanePauses()).toEqual([{ lane: 'youtube', untilMs: clock.now + 5_000, reason: expect.stringContaining('429') }]);
    // an earlier pause does not shorten it; a later one extends it
    await b.pauseLane({ lane: 'youtube', untilMs: clock.now + 1_000, reason: 'shorter' });
    expect((await a.lanePauses())[0]!.untilMs).toBe(clock.now + 5_000);
    await b.pauseLane({ lane: 'youtube', untilMs: clock.now + 8_000, reason: 'longer' });
    expect(await a.lanePauses()).toMatchObject([{ untilMs: clock.now + 8_000, reason: 'longer' }]);
    // a restarted process still sees it
    const c = open();
    cleanups.push(() => c.close());
    expect((await c.lanePauses()).map((p) => p.lane)).toEqual(['youtube']);
    expect(await c.lease('w-c', 60_000)).toBeNull();
    // and it resumes by itself at untilMs
    clock.now += 8_000;
    expect(await c.lanePauses()).toEqual([]);
    expect((await c.lease('w-c', 60_000))!.job.rowId).toBe('1');
  });

  it('laneConcurrency caps live leases of a lane across two processes', async () => {
    const { a, b, clock } = twoOnOneFile({ laneConcurrency: { youtube: 2 } });
    await a.enqueue([yt('1'), yt('2'), yt('3'), drive('4'), drive('5')]);
    const first = await a.lease('w-a', 10_000);
    const second = await b.lease('w-b', 10_000);
    expect([first!.job.lane, second!.job.lane]).toEqual(['youtube', 'youtube']);
    // the third youtube job waits in either process; drive (uncapped) runs
    expect((await a.lease('w-a', 10_000))!.job.lane).toBe('drive');
    expect((await b.lease('w-b', 10_000))!.job.lane).toBe('drive');
    expect(await a.lease('w-a', 10_000)).toBeNull();
    // a finished job frees a slot
    await b.complete(second!.job.jobId, 'w-b', { files: [], mediaIds: [] });
    expect((await a.lease('w-a', 10_000))!.job.rowId).toBe('3');
    expect(await b.lease('w-b', 10_000)).toBeNull();
    // an expired lease no longer counts: its job is taken over, within the cap
    clock.now += 10_001;
    const back = await b.lease('w-b', 10_000);
    expect(back!.job.lane).toBe('youtube');
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => new SqliteJobBackend(':memory:', { laneConcurrency: { youtube: 0 } })).toThrow(/laneConcurrency.youtube/);
  });
});

describe('lease order', () => {
  it('a manual retry is leased before older automatic work', async () => {
    let now = Date.now();
    const q = new SqliteJobBackend(':memory:', { now: () => now });
    cleanups.push(() => q.close());
    const [failed] = await q.enqueue([yt('1')]);
    await q.lease('w', 1000);
    await q.fail(failed!.job.jobId, 'w', { category: 'not_found', message: 'gone' }, FAIL);
    now += 10;
    await q.enqueue([yt('2'), yt('3')]);
    now += 10;
    const retried = await q.retry(failed!.job.jobId);
    expect(retried).toMatchObject({ status: 'queued', attempt: 2 });
    expect((await q.lease('w', 1000))!.job.jobId).toBe(failed!.job.jobId);
    expect((await q.lease('w', 1000))!.job.rowId).toBe('2');
  });

  it('release hands a held job back to the front of its lane at the same attempt', async () => {
    const q = new SqliteJobBackend(':memory:');
    cleanups.push(() => q.close());
    await q.enqueue([yt('1'), yt('2'), yt('3')]);
    const held = (await q.lease('stopping', 60_000))!;
    await q.heartbeat(held.job.jobId, 'stopping', 60_000, { fraction: 0.4 });
    await q.release(held.job.jobId, 'stopping');
    const j = (await q.get(held.job.jobId))!;
    expect(j).toMatchObject({ status: 'queued', attempt: 1, progress: null });
    // another worker takes it at once, ahead of rows 2 and 3
    const next = (await q.lease('other', 60_000))!;
    expect(next.job).toMatchObject({ jobId: held.job.jobId, attempt: 1, status: 'downloading' });
    // releasing a job one no longer holds changes nothing
    await q.release(held.job.jobId, 'stopping');
    expect((await q.get(held.job.jobId))!.status).toBe('downloading');
    expect(await q.heartbeat(held.job.jobId, 'other', 60_000)).toBe('ok');
  });
});

describe('write-back outcome', () => {
  it('a refused status write is recorded as writeBack; a completed job stays completed with no error', async () => {
    const q = new SqliteJobBackend(':memory:');
    cleanups.push(() => q.close());
    const [r] = await q.enqueue([yt('1')]);
    await q.lease('w', 1000);
    const done = await q.complete(r!.job.jobId, 'w', { files: ['1/youtube/a/a.mp4'], mediaIds: ['a'] });
    const writeBack = {
      status: 'refused' as const,
      error: { category: 'data_corruption' as const, message: 'status not written to the sheet: row_id changed' },
      at: new Date().toISOString(),
    };
    await q.recordWriteBack(done.jobId, writeBack);
    const after: JobRecord = (await q.get(done.jobId))!;
    expect(after).toMatchObject({ status: 'completed', error: null, files: ['1/youtube/a/a.mp4'], finishedAt: done.finishedAt, writeBack });
    expect((await q.stats()).byStatus.completed).toBe(1);
    // unknown job: nothing happens
    await expect(q.recordWriteBack('j_unknown', writeBack)).resolves.toBeUndefined();
  });
});
