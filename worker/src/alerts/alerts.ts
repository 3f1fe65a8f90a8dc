/**
 * The alerts (issue 11): each threshold of thresholds.ts checked against a report's readings.
 * An alert that holds carries a recommendation in plain words. Pure: no I/O.
 */
import type { AlertThresholds } from './thresholds.js';
import { failureAdvice } from './advice.js';
import { formatDuration } from './duration.js';
import type { QueueFacts } from '../jobs/readModel.js';

export const ALERT_KINDS = [
  'failure_rate',
  'disk',
  'pending',
  'queued_age',
  'data_corruption',
  'lane_paused',
  'ytdlp_age',
  'cookies_age',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  /** stable while the condition holds: the kind, plus `:<lane>` for lane pauses */
  id: string;
  kind: AlertKind;
  severity: 'warning' | 'critical';
  /** what holds, with the numbers */
  message: string;
  /** what to do, in plain words */
  advice: string;
}

/** The tool and disk readings the alerts need besides the queue's facts. */
export interface Readings {
  /** free bytes under ARCHIVER_DATA; null when it could not be read */
  diskFreeBytes: number | null;
  /** days since the yt-dlp release; null when unknown (not found, or a non-release build) */
  ytdlpAgeDays: number | null;
  /** ms since the YTDLP_COOKIES file was written; null when not set or unreadable */
  cookiesAgeMs: number | null;
}

const GIB = 1024 ** 3;

/** Every alert that holds, most severe first. */
export function evaluateAlerts(f: QueueFacts, r: Readings, t: AlertThresholds, now: number): Alert[] {
  const out: Alert[] = [];
  const { finished, failed, byCategory } = f.recent;
  if (finished > 0 && failed / finished > t.failureRate) {
    const top = byCategory[0]!;
    out.push({
      id: 'failure_rate',
      kind: 'failure_rate',
      severity: 'critical',
      message: `${failed} of the last ${finished} finished jobs failed (${Math.round((failed / finished) * 100)} %, threshold ${Math.round(t.failureRate * 100)} %); most are ${top.category}: ${top.example}`,
      advice: failureAdvice(top.category, top.count / finished, top.example),
    });
  }
  if (f.dataCorruption > 0) {
    out.push({
      id: 'data_corruption',
      kind: 'data_corruption',
      severity: 'critical',
      message: `${f.dataCorruption} status write${f.dataCorruption === 1 ? ' was' : 's were'} refused because a row changed (data_corruption)`,
      advice:
        'A row_id or type cell changed after dispatch: check those rows in the sheet (`GET /v1/jobs?status=failed`), fix them, then reset the rows',
    });
  }
  if (r.diskFreeBytes !== null && r.diskFreeBytes < t.minDiskBytes) {
    out.push({
      id: 'disk',
      kind: 'disk',
      severity: 'critical',
      message: `${(r.diskFreeBytes / GIB).toFixed(2)} GiB free under ARCHIVER_DATA (threshold ${(t.minDiskBytes / GIB).toFixed(2)} GiB)`,
      advice: 'Free disk space under ARCHIVER_DATA (downloads are staged there), or move ARCHIVER_DATA to a larger disk',
    });
  }
  if (f.open.total > t.maxPending) {
    out.push({
      id: 'pending',
      kind: 'pending',
      severity: 'warning',
      message: `${f.open.total} jobs are open (threshold ${t.maxPending})`,
      advice: 'The worker is falling behind: raise ARCHIVER_CONCURRENCY, add a worker, or dispatch fewer rows at a time',
    });
  }
  if (f.stuckQueued > 0 && f.oldestQueuedMs !== null) {
    out.push({
      id: 'queued_age',
      kind: 'queued_age',
      severity: 'warning',
      message: `${f.stuckQueued} queued job${f.stuckQueued === 1 ? ' has' : 's have'} waited longer than ${formatDuration(t.maxQueuedAgeMs)} (oldest ${formatDuration(f.oldestQueuedMs)})`,
      advice: 'Check that `sheet-archiver serve` is running and its lanes are not paused; `sheet-archiver report` shows both',
    });
  }
  for (const l of f.lanes) {
    const paused = now - l.since;
    if (paused <= t.maxLanePauseMs) continue;
    out.push({
      id: `lane_paused:${l.lane}`,
      kind: 'lane_paused',
      severity: 'warning',
      message: `lane ${l.lane} has been paused by rate limits for ${formatDuration(paused)} (until ${new Date(l.until).toISOString()}; ${l.jobs} jobs waiting)`,
      advice:
        l.lane === 'youtube'
          ? 'YouTube keeps rate-limiting this worker: refresh YTDLP_COOKIES (docs/youtube.md#cookies), lower ARCHIVER_CONCURRENCY, or wait'
          : `The host ${l.lane} keeps answering 429: lower ARCHIVER_CONCURRENCY or wait for its limit to reset`,
    });
  }
  if (r.ytdlpAgeDays !== null && r.ytdlpAgeDays > t.maxYtdlpAgeDays) {
    out.push({
      id: 'ytdlp_age',
      kind: 'ytdlp_age',
      severity: 'warning',
      message: `yt-dlp is ${r.ytdlpAgeDays} days old (threshold ${t.maxYtdlpAgeDays})`,
      advice: 'Run `sheet-archiver update-tools` (or set YTDLP_PATH to a current yt-dlp): YouTube breaks old releases every few weeks',
    });
  }
  if (r.cookiesAgeMs !== null && r.cookiesAgeMs > t.cookiesMaxAgeMs) {
    out.push({
      id: 'cookies_age',
      kind: 'cookies_age',
      severity: 'warning',
      message: `the YTDLP_COOKIES file is ${formatDuration(r.cookiesAgeMs)} old (its configured life is ${formatDuration(t.cookiesMaxAgeMs)}, ARCHIVER_COOKIES_MAX_AGE)`,
      advice: 'Export fresh cookies while signed in to YouTube and replace the YTDLP_COOKIES file (docs/youtube.md#cookies)',
    });
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
}
