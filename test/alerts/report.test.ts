/**
 * The health report and its alerts (issue 11 item 2) on a real SQLite queue with a fixed clock:
 * each threshold with its advice, the failure categories, the 24-hour trend, and the monitor's
 * alert.raised / alert.cleared events in the durable event log. Free space and yt-dlp's age are
 * injected readings (ReportDeps.freeBytes / ytdlp); the cookies age is a real file's mtime.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobError } from '../../shared/schemas.js';
import {
  AlertMonitor,
  buildReport,
  DEFAULT_THRESHOLDS,
  thresholdsFromEnv,
  type AlertThresholds,
  type ReportDeps,
} from '../../worker/src/alerts/index.js';
import { EventBus } from '../../worker/src/events/bus.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { SqliteJobBackend } from '../../worker/src/jobs/index.js';
import { newJob, tempDir } from '../jobs/helpers.js';

const H = 3600_000;
const GIB = 1024 ** 3;
let now = Date.UTC(2026, 0, 10, 12, 30);
let queue: SqliteJobBackend;
let tmp: ReturnType<typeof tempDir>;

beforeEach(async () => {
  now = Date.UTC(2026, 0, 10, 12, 30);
  tmp = tempDir();
  queue = new SqliteJobBackend(join(tmp.dir, 'queue.db'), { now: () => now, synchronous: 'NORMAL' });
});
afterEach(async () => {
  await queue.close();
  tmp.cleanup();
});

function deps(over: Partial<ReportDeps> & { t?: Partial<AlertThresholds> } = {}): ReportDeps {
  const { t, ...rest } = over;
  return {
    queue,
    dataDir: tmp.dir,
    thresholds: { ...DEFAULT_THRESHOLDS, ...t },
    now: () => now,
    freeBytes: async () => 50 * GIB,
    ytdlp: async () => ({ version: '2026.01.01', ageDays: 9 }),
    ...rest,
  };
}

/** Enqueues and finishes `n` jobs: completed, or failed with `error` (no retry). */
async function finish(n: number, error: JobError | null, over: Parameters<typeof newJob>[0] = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    const job = (await queue.enqueue([newJob(over)]))[0]!.job;
    const lease = (await queue.lease('w', 60_000, now))!;
    expect(lease.job.jobId).toBe(job.jobId);
    if (error) await queue.fail(job.jobId, 'w', error, { action: 'fail', reason: 'test' });
    else await queue.complete(job.jobId, 'w', { files: [], mediaIds: [] });
  }
}

describe('health report', () => {
  it('is healthy on an empty queue, with 24 hourly trend buckets', async () => {
    const r = await buildReport(deps());
    expect(r.status).toBe('healthy');
    expect(r.alerts).toEqual([]);
    expect(r.successRate.overall).toBeNull();
    expect(r.trend).toHaveLength(24);
    expect(r.trend.at(-1)!.start).toBe('2026-01-10T12:00:00.000Z');
    expect(r.disk.freeBytes).toBe(50 * GIB);
  });

  it('gives success rates per source, failure categories with an example, and the trend per hour', async () => {
    now -= 3 * H;
    await finish(3, null);
    await finish(
      1,
      { category: 'not_found', message: 'HTTP Error 404: Not Found' },
      { source: 'drive', links: ['https://drive.google.com/file/d/abc/view'] },
    );
    now += 3 * H;
    await finish(2, null);
    await finish(2, { category: 'network', message: 'connection reset' });
    const r = await buildReport(deps());
    expect(r.successRate).toMatchObject({ completed: 5, failed: 3, overall: 5 / 8 });
    expect(r.successRate.bySource.youtube).toEqual({ completed: 5, failed: 2, successRate: 5 / 7 });
    expect(r.successRate.bySource.drive).toEqual({ completed: 0, failed: 1, successRate: 0 });
    expect(r.failures).toEqual([
      { category: 'network', count: 2, example: 'connection reset' },
      { category: 'not_found', count: 1, example: 'HTTP Error 404: Not Found' },
    ]);
    expect(r.trend.at(-1)).toMatchObject({ completed: 2, failed: 2 });
    expect(r.trend.at(-4)).toMatchObject({ completed: 3, failed: 1 });
    // a 1 h window sees only the last hour
    const lastHour = await buildReport(deps(), '1h', H);
    expect(lastHour.successRate).toMatchObject({ completed: 2, failed: 2 });
  });

  it('raises failure_rate over the last 100 finished jobs, with advice for the dominant category', async () => {
    const cases: [JobError, RegExp][] = [
      [
        { category: 'rate_limit', message: "Sign in to confirm you're not a bot" },
        /YouTube is asking for sign-in on 30 % of jobs: refresh YTDLP_COOKIES \(docs\/youtube\.md#cookies\)/,
      ],
      [{ category: 'system', message: 'Requested format is not available' }, /update-tools/],
      [{ category: 'not_found', message: 'HTTP Error 404: Not Found' }, /fix the links/],
      [{ category: 'quota', message: 'download quota exceeded' }, /wait/],
      [{ category: 'file_io', message: 'ENOSPC: no space left on device' }, /disk space under ARCHIVER_DATA|bucket/],
    ];
    for (const [error, advice] of cases) {
      queue.db.exec('DELETE FROM jobs');
      await finish(7, null);
      await finish(3, error);
      const r = await buildReport(deps());
      const a = r.alerts.find((x) => x.kind === 'failure_rate');
      expect(a, error.category).toBeDefined();
      expect(a!.advice).toMatch(advice);
      expect(a!.message).toContain(error.message);
      expect(r.status).toBe('critical');
    }
    // 20 % exactly does not exceed the threshold
    queue.db.exec('DELETE FROM jobs');
    await finish(8, null);
    await finish(2, { category: 'network', message: 'reset' });
    expect((await buildReport(deps())).alerts).toEqual([]);
    // only the latest 100 count: 30 old failures, then 100 successes
    queue.db.exec('DELETE FROM jobs');
    await finish(30, { category: 'network', message: 'reset' });
    now += 1000;
    await finish(100, null);
    const r = await buildReport(deps());
    expect(r.recent).toEqual({ finished: 100, failed: 0, failureRate: 0 });
    expect(r.alerts.find((x) => x.kind === 'failure_rate')).toBeUndefined();
  });

  it('raises disk below the minimum free space', async () => {
    const r = await buildReport(deps({ freeBytes: async () => 0.5 * GIB }));
    expect(r.alerts.map((a) => a.kind)).toEqual(['disk']);
    expect(r.alerts[0]!.advice).toMatch(/Free disk space under ARCHIVER_DATA/);
    expect(r.status).toBe('critical');
  });

  it('raises pending above the maximum, and queued_age for a job queued too long', async () => {
    await queue.enqueue(Array.from({ length: 4 }, () => newJob()));
    let r = await buildReport(deps({ t: { maxPending: 3 } }));
    expect(r.jobs).toMatchObject({ pending: 4, queued: 4, stuckQueued: 0 });
    expect(r.alerts.map((a) => a.kind)).toEqual(['pending']);
    expect(r.alerts[0]!.advice).toMatch(/ARCHIVER_CONCURRENCY/);
    expect(r.status).toBe('warning');
    now += 7 * H;
    r = await buildReport(deps());
    expect(r.jobs.stuckQueued).toBe(4);
    expect(r.jobs.oldestQueuedMs).toBe(7 * H);
    const a = r.alerts.find((x) => x.kind === 'queued_age')!;
    expect(a.message).toMatch(/waited longer than 6h \(oldest 7h\)/);
    expect(a.advice).toMatch(/serve/);
  });

  it('counts a downloading job whose lease expired as stuck', async () => {
    await queue.enqueue([newJob()]);
    await queue.lease('w', 60_000, now);
    now += 120_000;
    expect((await buildReport(deps())).jobs).toMatchObject({ running: 1, expiredLeases: 1 });
  });

  it('raises data_corruption for a refused status write', async () => {
    await finish(1, null);
    const job = (await queue.list({})).jobs[0]!;
    await queue.recordWriteBack(job.jobId, {
      status: 'refused',
      error: { category: 'data_corruption', message: 'row_id changed' },
      at: new Date(now).toISOString(),
    });
    expect((await queue.get(job.jobId))!.status).toBe('completed');
    const r = await buildReport(deps());
    expect(r.alerts.map((a) => a.kind)).toContain('data_corruption');
    expect(r.alerts.find((a) => a.kind === 'data_corruption')!.advice).toMatch(/reset the rows/);
  });

  it('shows lane pauses, and raises lane_paused once a lane has been paused over an hour', async () => {
    await queue.enqueue([newJob()]);
    const lease = (await queue.lease('w', 60_000, now))!;
    await queue.fail(
      lease.job.jobId,
      'w',
      { category: 'rate_limit', message: 'HTTP Error 429' },
      { action: 'retry', atMs: now + 2 * H, reason: 'test' },
    );
    await queue.pauseLane({ lane: 'youtube', untilMs: now + 2 * H, reason: 'rate_limit: HTTP Error 429' });
    let r = await buildReport(deps());
    expect(r.lanes).toEqual([
      { lane: 'youtube', jobs: 1, since: new Date(now).toISOString(), until: new Date(now + 2 * H).toISOString(), pausedMs: 0 },
    ]);
    expect(r.alerts).toEqual([]);
    now += H + 60_000;
    r = await buildReport(deps());
    expect(r.alerts.map((a) => a.id)).toEqual(['lane_paused:youtube']);
    expect(r.alerts[0]!.advice).toMatch(/YTDLP_COOKIES/);
    now += H; // the pause is over
    expect((await buildReport(deps())).lanes).toEqual([]);
  });

  it('raises ytdlp_age for an old yt-dlp and cookies_age for an old cookies file, never showing its path', async () => {
    const cookies = join(tmp.dir, 'secret-cookies.txt');
    writeFileSync(cookies, '# Netscape HTTP Cookie File\n');
    utimesSync(cookies, (now - 40 * 86_400_000) / 1000, (now - 40 * 86_400_000) / 1000);
    const r = await buildReport(deps({ ytdlp: async () => ({ version: '2023.03.04', ageDays: 1000 }), cookiesPath: cookies }));
    expect(r.alerts.map((a) => a.kind).sort()).toEqual(['cookies_age', 'ytdlp_age']);
    expect(r.tools).toEqual({ ytdlpVersion: '2023.03.04', ytdlpAgeDays: 1000, cookiesSet: true, cookiesAgeDays: 40 });
    expect(r.alerts.find((a) => a.kind === 'ytdlp_age')!.advice).toMatch(/sheet-archiver update-tools/);
    expect(r.alerts.find((a) => a.kind === 'cookies_age')!.advice).toMatch(/docs\/youtube\.md#cookies/);
    expect(JSON.stringify(r)).not.toContain('secret-cookies');
    const longer = await buildReport(deps({ cookiesPath: cookies, t: { cookiesMaxAgeMs: 60 * 86_400_000 } }));
    expect(longer.alerts).toEqual([]);
  });
});

describe('thresholds from the environment', () => {
  it('reads each variable, and names a bad one', async () => {
    const t = thresholdsFromEnv({
      ARCHIVER_ALERT_FAILURE_RATE: '0.5',
      ARCHIVER_ALERT_MIN_DISK_GB: '2',
      ARCHIVER_ALERT_MAX_PENDING: '10',
      ARCHIVER_ALERT_MAX_QUEUED_AGE: '30m',
      ARCHIVER_ALERT_MAX_LANE_PAUSE: '2h',
      ARCHIVER_ALERT_MAX_YTDLP_AGE_DAYS: '90',
      ARCHIVER_COOKIES_MAX_AGE: '14d',
    });
    expect(t).toEqual({
      ...DEFAULT_THRESHOLDS,
      failureRate: 0.5,
      minDiskBytes: 2 * GIB,
      maxPending: 10,
      maxQueuedAgeMs: 30 * 60_000,
      maxLanePauseMs: 2 * H,
      maxYtdlpAgeDays: 90,
      cookiesMaxAgeMs: 14 * 86_400_000,
    });
    expect(thresholdsFromEnv({})).toEqual(DEFAULT_THRESHOLDS);
    expect(() => thresholdsFromEnv({ ARCHIVER_ALERT_FAILURE_RATE: '20%' })).toThrow(/ARCHIVER_ALERT_FAILURE_RATE/);
    expect(() => thresholdsFromEnv({ ARCHIVER_ALERT_MAX_QUEUED_AGE: 'soon' })).toThrow(/ARCHIVER_ALERT_MAX_QUEUED_AGE/);
  });
});

describe('alert monitor', () => {
  it('appends alert.raised when an alert starts holding and alert.cleared when it stops, once each', async () => {
    const log = new SqliteEventLog(queue.db);
    let free = 50 * GIB;
    const d = deps({ freeBytes: async () => free });
    const monitor = new AlertMonitor({ bus: new EventBus(log), evaluate: async () => (await buildReport(d)).alerts });
    await monitor.check();
    expect(log.since(0)).toEqual([]);
    free = 0.1 * GIB;
    await monitor.check();
    await monitor.check();
    free = 10 * GIB;
    await monitor.check();
    const events = log.since(0);
    expect(events.map((e) => e.type)).toEqual(['alert.raised', 'alert.cleared']);
    expect(events[0]!.data).toMatchObject({
      id: 'disk',
      kind: 'disk',
      severity: 'critical',
      advice: expect.stringMatching(/Free disk space/),
    });
    expect(events[1]!.data).toEqual({ id: 'disk', kind: 'disk' });
  });
});
