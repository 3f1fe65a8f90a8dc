/**
 * `sheet-archiver report` and `sheet-archiver alerts` (issue 11): the health report of this
 * worker's queue (ARCHIVER_DATA/queue.db, or BullMQ on Redis with REDIS_URL: docs/design.md §6),
 * as a table with a 24-hour trend, or as JSON. `alerts`
 * exits 1 while an alert holds and 0 when all is clear, for cron and monitoring.
 */
import { parseDuration, reporterFor, ThresholdError, type HealthReport } from '../../alerts/index.js';
import { formatDuration } from '../../alerts/duration.js';
import { MAX_REPORT_WINDOW_MS } from '../../server/routes/report.js';
import { SqliteJobBackend } from '../../jobs/sqlite.js';
import type { JobBackend } from '../../jobs/types.js';
import { configWith, UsageError } from '../context.js';
import { formatBytes, formatTable, printJson } from '../output.js';

export interface ReportOptions {
  json?: boolean;
  since?: string;
}

const BARS = ' ▁▂▃▄▅▆▇█';
const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 1000) / 10} %`);

/** One sparkline character per value, scaled to the largest of `scaleTo`. */
export function sparkline(values: number[], scaleTo = Math.max(...values)): string {
  return values.map((v) => (v === 0 || scaleTo === 0 ? '·' : BARS[Math.max(1, Math.round((v / scaleTo) * (BARS.length - 1)))])).join('');
}

async function load(o: ReportOptions): Promise<HealthReport> {
  const since = o.since ?? '24h';
  const ms = parseDuration(since);
  if (ms === null || ms > MAX_REPORT_WINDOW_MS)
    throw new UsageError(`--since: "${since}" is not a duration like 90m, 24h or 7d (at most 30d)`);
  const config = configWith();
  const queue = await openQueue(config.env.REDIS_URL, config.queuePath);
  try {
    let report: ReturnType<typeof reporterFor>;
    try {
      report = reporterFor(queue, config);
    } catch (err) {
      if (err instanceof ThresholdError) throw new UsageError(err.message);
      throw err;
    }
    return await report(since, ms);
  } finally {
    await queue.close();
  }
}

/**
 * The backend the worker's jobs are in: BullMQ with REDIS_URL (loaded only then, so the CLI
 * starts fast without Redis), else queue.db. @throws QueueError 'unavailable' when Redis does not
 * answer within 5 s.
 */
async function openQueue(redisUrl: string | undefined, queuePath: string): Promise<JobBackend> {
  if (!redisUrl) return new SqliteJobBackend(queuePath);
  const { createBullMqBackend } = await import('../../jobs/bullmq/index.js');
  return createBullMqBackend({ url: redisUrl, readyTimeoutMs: 5000 });
}

/** The report as text: status, rates, failures, jobs, tools, lanes, trend, alerts. */
export function formatReport(r: HealthReport): string {
  const out: string[] = [];
  out.push(`status: ${r.status.toUpperCase()}   (${r.generatedAt}, window ${r.window.since})`);
  out.push('');
  out.push(
    formatTable(
      ['source', 'completed', 'failed', 'success'],
      [
        ['all', r.successRate.completed, r.successRate.failed, pct(r.successRate.overall)],
        ...Object.entries(r.successRate.bySource).map(([s, c]) => [s, c.completed, c.failed, pct(c.successRate)]),
      ],
    ),
  );
  if (r.failures.length) {
    out.push(
      '',
      formatTable(
        ['failure category', 'count', 'example'],
        r.failures.map((f) => [f.category, f.count, f.example]),
      ),
    );
  }
  out.push('');
  const j = r.jobs;
  out.push(
    `jobs: ${j.pending} pending (${j.queued} queued, ${j.retrying} retrying, ${j.running} running); ${j.stuckQueued} queued too long` +
      `${j.oldestQueuedMs === null ? '' : ` (oldest waits ${formatDuration(j.oldestQueuedMs)})`}; ${j.expiredLeases} with an expired lease`,
  );
  out.push(`last ${r.recent.finished} finished: ${r.recent.failed} failed (${pct(r.recent.failureRate)})`);
  out.push(`disk: ${r.disk.freeBytes === null ? 'unknown' : formatBytes(r.disk.freeBytes)} free under ARCHIVER_DATA`);
  out.push(
    `yt-dlp: ${r.tools.ytdlpVersion ?? 'not found'}${r.tools.ytdlpAgeDays === null ? '' : `, ${r.tools.ytdlpAgeDays} days old`}; ` +
      `cookies: ${r.tools.cookiesSet ? (r.tools.cookiesAgeDays === null ? 'set, unreadable' : `${r.tools.cookiesAgeDays} days old`) : 'not set'}`,
  );
  out.push(
    r.lanes.length ? `lanes paused: ${r.lanes.map((l) => `${l.lane} until ${l.until} (${l.jobs} jobs)`).join('; ')}` : 'lanes paused: none',
  );
  const completed = r.trend.map((b) => b.completed);
  const failed = r.trend.map((b) => b.failed);
  const top = Math.max(...completed, ...failed);
  out.push('', `last 24 h, per hour (from ${r.trend[0]?.start.slice(11, 16)} UTC; highest ${top}):`);
  out.push(`  completed ${sparkline(completed, top)}  ${completed.reduce((a, b) => a + b, 0)}`);
  out.push(`  failed    ${sparkline(failed, top)}  ${failed.reduce((a, b) => a + b, 0)}`);
  out.push('');
  if (!r.alerts.length) out.push('alerts: none');
  for (const a of r.alerts) out.push(`${a.severity.toUpperCase()} ${a.id}: ${a.message}`, `  → ${a.advice}`);
  return out.join('\n') + '\n';
}

export async function reportAction(o: ReportOptions): Promise<void> {
  const r = await load(o);
  if (o.json) printJson(r);
  else process.stdout.write(formatReport(r));
}

/** Exit 1 while an alert holds, 0 when clear. */
export async function alertsAction(o: ReportOptions): Promise<void> {
  const r = await load(o);
  if (o.json) printJson({ status: r.status, generatedAt: r.generatedAt, alerts: r.alerts });
  else if (!r.alerts.length) process.stdout.write(`status: ${r.status}: no alerts\n`);
  else for (const a of r.alerts) process.stdout.write(`${a.severity.toUpperCase()} ${a.id}: ${a.message}\n  → ${a.advice}\n`);
  process.exitCode = r.alerts.length ? 1 : 0;
}
