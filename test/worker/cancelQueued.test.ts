/**
 * Cancel of a job that is not running (still queued): the `cancelled` lifecycle event the cancel
 * emits has the status projector write its row at once, as `failed` with category `cancelled`
 * (docs/design.md §4), and the runner never starts it. Real SQLite queue and outbox; the source
 * is never reached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import type { Source } from '../../worker/src/sources/types.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { testEvents, testNewJob } from '../support/jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'sa-cancel-queued-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cancel of a queued job', () => {
  it('writes the row as failed/cancelled and the job never runs; a manual retry queues it again', async () => {
    const queue = new SqliteJobBackend(':memory:');
    const outbox = new SqliteOutbox(queue.db);
    const events = testEvents(outbox);
    let archived = 0;
    const source: Source = {
      name: 'youtube',
      archive: async () => {
        archived++;
        return { mediaIds: [], files: [] };
      },
    };
    const runner = new Runner({
      events,
      queue,
      sources: { youtube: source },
      store: new LocalStore(join(dir, 'archive')),
      prefix: '',
      workRoot: join(dir, 'work'),
      concurrency: 1,
      leaseMs: 10_000,
      jobTimeoutMs: 10_000,
      retryScale: 1,
      log: silentLogger,
      pollMs: 20,
    });
    const job = (await queue.enqueue([testNewJob('7', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', { name: '' })]))[0]!.job;
    const cancelled = await queue.cancel(job.jobId);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' } });
    // what the cancel route does: the event, then the kill where it runs
    events.cancelled(cancelled!);
    expect(runner.abort(job.jobId)).toBe(false); // not running here
    const updates = (await outbox.peek(10, Number.MAX_SAFE_INTEGER)).map((e) => e.update);
    expect(updates).toMatchObject([
      { rowId: '7', source: 'youtube', status: 'failed', error: { source: 'youtube', attempt: 1, category: 'cancelled' } },
    ]);
    runner.start();
    await new Promise((r) => setTimeout(r, 200));
    await runner.stop();
    expect(archived).toBe(0);
    expect(await queue.retry(job.jobId)).toMatchObject({ status: 'queued', attempt: 2 });
    await queue.close();
  });
});
