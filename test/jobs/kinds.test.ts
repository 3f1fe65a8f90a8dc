/**
 * Job kinds (docs/design.md §4): schema v4 adds `kind` to the jobs table, old rows read as
 * `archive`, a `reprocess` job is other work than the row's download (its own idempotency key and
 * lane), and list/stats see the kind.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRecordSchema } from '../../shared/schemas.js';
import { migrate } from '../../worker/src/jobs/migrate.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { JOBS_COMPONENT, JOBS_MIGRATIONS } from '../../worker/src/jobs/sqliteSchema.js';
import { newJob, tempDir, valid } from './helpers.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

describe('job kinds', () => {
  it('migrates a v3 queue: its jobs become archive jobs and keep working', async () => {
    const file = join(temp.dir, 'v3.db');
    const db = new Database(file);
    migrate(db, JOBS_COMPONENT, JOBS_MIGRATIONS.slice(0, 3));
    db.prepare(
      `INSERT INTO jobs (job_id, dispatch_id, idempotency_key, spreadsheet_id, sheet_id, sheet_name, row_id, row_number, name, email, type,
         source, links, options, status, attempt, max_attempts, ready_at, created_at, updated_at)
       VALUES ('j_OLD', 'd', 'k', 's', 0, 'People', '7', 2, '', '', 't', 'youtube', '[]', '{"sources":["youtube"],"transcriptOnly":false,"audioOnly":false,"maxHeight":1080,"retry":"auto"}',
         'queued', 1, 3, 1, 1, 1)`,
    ).run();
    db.close();
    const q = new SqliteJobBackend(file);
    try {
      const old = valid(await q.get('j_OLD'));
      expect(old.kind).toBe('archive');
      expect((await q.stats()).byKind).toEqual({ archive: 1, reprocess: 0 });
      expect(
        (q.db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(JOBS_COMPONENT) as { version: number }).version,
      ).toBe(JOBS_MIGRATIONS.length);
    } finally {
      await q.close();
    }
    // a record written before kinds existed still parses
    const mem = new SqliteJobBackend(':memory:');
    const { kind: _k, ...withoutKind } = valid((await mem.enqueue([newJob()]))[0]!.job);
    await mem.close();
    expect(JobRecordSchema.safeParse(withoutKind).success).toBe(true);
  });

  it('keeps a reprocess job apart from the download of the same row: own key, own lane, filtered and counted', async () => {
    const q = new SqliteJobBackend(':memory:');
    try {
      const links = ['151/youtube/clip01/metadata.json'];
      const [archive] = await q.enqueue([newJob({ rowId: '151', links: ['https://www.youtube.com/watch?v=abcdefghi01'] })]);
      const [re1, re2] = await q.enqueue([
        newJob({ rowId: '151', kind: 'reprocess', links }),
        newJob({ rowId: '151', kind: 'reprocess', links }),
      ]);
      expect(archive!.job.kind).toBe('archive');
      expect(re1!.created).toBe(true);
      expect(re2!.created).toBe(false);
      expect(re2!.job.jobId).toBe(re1!.job.jobId);
      expect(re1!.job.kind).toBe('reprocess');
      expect(re1!.job.idempotencyKey).not.toBe(archive!.job.idempotencyKey);
      // a paused youtube lane (rate limit) does not hold a job that reads only storage
      await q.pauseLane({ lane: 'youtube', untilMs: Date.now() + 60_000, reason: 'rate_limit: test' });
      const lease = await q.lease('w', 60_000, Date.now() + 10);
      expect(lease?.job.jobId).toBe(re1!.job.jobId);
      expect((await q.list({ kind: 'reprocess' })).jobs.map((j) => j.jobId)).toEqual([re1!.job.jobId]);
      expect((await q.list({ kind: 'archive' })).jobs.map((j) => j.jobId)).toEqual([archive!.job.jobId]);
      expect((await q.stats()).byKind).toEqual({ archive: 1, reprocess: 1 });
    } finally {
      await q.close();
    }
  });
});
