/**
 * The metrics registry on a real SQLite queue (issue 11 item 1): the queue gauges by status,
 * source and lane, a paused lane, the oldest waiting job and the outbox backlog, read at scrape
 * time; two registries on one queue file agree; the runner-event counters; the exposition text
 * parses strictly.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiverMetrics } from '../../worker/src/metrics/registry.js';
import { SqliteJobBackend } from '../../worker/src/jobs/index.js';
import { SqliteQueueGauges } from '../../worker/src/jobs/sqliteGauges.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { newJob, tempDir } from '../jobs/helpers.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function observed(queue: SqliteJobBackend, paused: string[] = []) {
  const outbox = new SqliteOutbox(queue.db);
  const metrics = new ArchiverMetrics({ defaultMetrics: false });
  const gauges = new SqliteQueueGauges(queue.db);
  metrics.observeQueue({
    snapshot: (now) => gauges.snapshot(now),
    outboxSize: () => outbox.size(),
    pausedLanes: async () => paused.map((lane) => ({ lane })),
  });
  return { metrics, outbox, scrape: async () => parsePrometheusText((await metrics.render()).body) };
}

describe('queue gauges', () => {
  it('count jobs by status and source, waiting jobs by lane, a paused lane, the oldest waiting job and the outbox', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const t0 = Date.now() - 120_000; // enqueued two minutes ago
    const queue = new SqliteJobBackend(join(dir, 'queue.db'), { now: () => t0 });
    cleanups.push(() => queue.close());
    await queue.enqueue([
      newJob({ links: ['https://www.youtube.com/watch?v=aaaaaaaaaaa'] }),
      newJob({ links: ['https://www.youtube.com/watch?v=bbbbbbbbbbb'] }),
      newJob({ links: ['https://media.example.org:8080/a.mp4'] }),
      newJob({ links: ['https://media.example.org:8080/b.mp4'] }),
      newJob({ links: ['https://media.example.org:8080/c.mp4'] }),
      newJob({ source: 'drive', links: ['https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view'] }),
    ]);
    // one media-host job completes, one is rate limited and waits an hour to retry
    await queue.pauseLane({ lane: 'youtube', untilMs: t0 + 1, reason: 'test' });
    await queue.pauseLane({ lane: 'drive', untilMs: t0 + 1, reason: 'test' });
    const a = (await queue.lease('w', 60_000, t0))!;
    await queue.complete(a.job.jobId, 'w', { files: ['k'], mediaIds: ['a'] });
    const b = (await queue.lease('w', 60_000, t0))!;
    const retryAt = { action: 'retry', atMs: Date.now() + 3_600_000, reason: 'test' } as const;
    await queue.fail(b.job.jobId, 'w', { category: 'rate_limit', message: 'HTTP 429' }, retryAt);
    const { outbox, scrape } = observed(queue, ['media.example.org:8080']);
    outbox.push({
      spreadsheetId: 's',
      sheetId: 0,
      sheetName: 'People',
      rowId: '1',
      type: 't',
      rowNumberHint: 2,
      source: 'youtube',
      status: 'queued',
    });

    const m = await scrape();
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'queued', source: 'youtube' })).toBe(3);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'completed', source: 'youtube' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'retrying', source: 'youtube' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'queued', source: 'drive' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'failed', source: 'drive' })).toBe(0);
    expect(m.get('sheet_archiver_jobs')!.samples).toHaveLength(14);
    expect(sampleValue(m, 'sheet_archiver_queue_depth', { lane: 'youtube' })).toBe(2);
    expect(sampleValue(m, 'sheet_archiver_queue_depth', { lane: 'media.example.org:8080' })).toBe(2); // queued + retrying
    expect(sampleValue(m, 'sheet_archiver_queue_depth', { lane: 'drive' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_lane_paused', { lane: 'media.example.org:8080' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_lane_paused', { lane: 'youtube' })).toBe(0);
    expect(sampleValue(m, 'sheet_archiver_lane_paused', { lane: 'drive' })).toBe(0);
    const age = sampleValue(m, 'sheet_archiver_oldest_queued_job_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(119);
    expect(age).toBeLessThan(300);
    expect(sampleValue(m, 'sheet_archiver_outbox_backlog')).toBe(1);

    // a second worker on the same file reports the same queue numbers
    const other = new SqliteJobBackend(join(dir, 'queue.db'));
    cleanups.push(() => other.close());
    const m2 = await observed(other).scrape();
    for (const lane of ['youtube', 'media.example.org:8080', 'drive']) {
      expect(sampleValue(m2, 'sheet_archiver_queue_depth', { lane })).toBe(sampleValue(m, 'sheet_archiver_queue_depth', { lane }));
    }
    expect(m2.get('sheet_archiver_jobs')!.samples).toEqual(m.get('sheet_archiver_jobs')!.samples);
    // … but lane pauses are each worker's own
    expect(sampleValue(m2, 'sheet_archiver_lane_paused', { lane: 'media.example.org:8080' })).toBe(0);
  });

  it('follow the queue from scrape to scrape; a drained lane stays at 0; nothing waiting means age 0', async () => {
    const queue = new SqliteJobBackend(':memory:');
    cleanups.push(() => queue.close());
    const { scrape } = observed(queue);
    await queue.enqueue([newJob({ links: ['https://media.example.org/a.mp4'] })]);
    expect(sampleValue(await scrape(), 'sheet_archiver_queue_depth', { lane: 'media.example.org' })).toBe(1);
    await new Promise((r) => setTimeout(r, 300)); // past the one-scrape snapshot cache
    const l = (await queue.lease('w', 60_000))!;
    let m = await scrape();
    expect(sampleValue(m, 'sheet_archiver_queue_depth', { lane: 'media.example.org' })).toBe(0);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'downloading', source: 'youtube' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_oldest_queued_job_age_seconds')).toBe(0);
    await queue.complete(l.job.jobId, 'w', { files: [], mediaIds: [] });
    await new Promise((r) => setTimeout(r, 300));
    m = await scrape();
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'completed', source: 'youtube' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'downloading', source: 'youtube' })).toBe(0);
  });
});

describe('runner-event counters', () => {
  it('count finished attempts by outcome and category, retries, and durations', async () => {
    const metrics = new ArchiverMetrics({ defaultMetrics: false });
    const queue = new SqliteJobBackend(':memory:');
    cleanups.push(() => queue.close());
    const { job } = (await queue.enqueue([newJob()]))[0]!;
    metrics.onRunnerEvent({ type: 'started', job });
    metrics.onRunnerEvent({
      type: 'finished',
      job: { ...job, status: 'retrying', attempt: 2, error: { category: 'network', message: 'reset' } },
    });
    metrics.onRunnerEvent({ type: 'started', job: { ...job, attempt: 2 } });
    metrics.onRunnerEvent({ type: 'finished', job: { ...job, status: 'completed', attempt: 2, error: null } });
    const m = parsePrometheusText((await metrics.render()).body);
    expect(sampleValue(m, 'sheet_archiver_jobs_finished_total', { source: 'youtube', outcome: 'retrying', category: 'network' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_jobs_finished_total', { source: 'youtube', outcome: 'completed', category: 'none' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_job_retries_total', { source: 'youtube' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_job_duration_seconds_count', { source: 'youtube', outcome: 'completed' })).toBe(1);
    expect(sampleValue(m, 'sheet_archiver_job_duration_seconds_bucket', { source: 'youtube', outcome: 'completed', le: '+Inf' })).toBe(1);
  });
});

describe('the exposition reader', () => {
  it('refuses text that is not the Prometheus format', async () => {
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\n')).not.toThrow();
    expect(() => parsePrometheusText('x 1\n')).toThrow(/before its # TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow(/unterminated/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n')).toThrow(/repeated/);
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(
      /cumulative/,
    );
  });
});
