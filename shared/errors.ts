/**
 * Error categories and their retry policy (design §4), plus the `download_errors` cell format
 * (design §1). Runtime-agnostic. The policy is data only: the worker's jobs/retry.ts decideRetry
 * is the one place that turns it into a decision, with shared/backoff.ts for the delay.
 */
import type { SourceName } from './columns.js';

export const ERROR_CATEGORIES = [
  'network',
  'rate_limit',
  'quota',
  'system',
  'file_io',
  'validation',
  'permission',
  'not_found',
  'data_corruption',
  'cancelled',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Automatic retries stop after this many attempts (design §4). */
export const MAX_AUTO_ATTEMPTS = 3;
/** A manual retry (sidebar, API, CLI) may go up to this many attempts. */
export const MAX_MANUAL_ATTEMPTS = 10;
/** `download_errors` messages are cut to this many characters. */
export const MAX_ERROR_MESSAGE = 300;

/** How one category retries. Delays are milliseconds. */
export interface RetryPolicy {
  retry: boolean;
  /** exponential doubles from baseMs; linear adds baseMs per attempt */
  curve: 'exponential' | 'linear' | 'none';
  baseMs: number;
  maxMs: number;
  /** Highest attempt number an automatic retry may start (≤ MAX_AUTO_ATTEMPTS). */
  maxAttempts: number;
}

export const RETRY_POLICIES: Record<ErrorCategory, RetryPolicy> = {
  network: { retry: true, curve: 'exponential', baseMs: 2_000, maxMs: 30_000, maxAttempts: MAX_AUTO_ATTEMPTS },
  rate_limit: { retry: true, curve: 'exponential', baseMs: 5_000, maxMs: 60_000, maxAttempts: MAX_AUTO_ATTEMPTS },
  quota: { retry: true, curve: 'exponential', baseMs: 60_000, maxMs: 30 * 60_000, maxAttempts: MAX_AUTO_ATTEMPTS },
  system: { retry: true, curve: 'linear', baseMs: 5_000, maxMs: 20_000, maxAttempts: 2 },
  file_io: { retry: true, curve: 'linear', baseMs: 5_000, maxMs: 20_000, maxAttempts: 2 },
  validation: { retry: false, curve: 'none', baseMs: 0, maxMs: 0, maxAttempts: 1 },
  permission: { retry: false, curve: 'none', baseMs: 0, maxMs: 0, maxAttempts: 1 },
  not_found: { retry: false, curve: 'none', baseMs: 0, maxMs: 0, maxAttempts: 1 },
  data_corruption: { retry: false, curve: 'none', baseMs: 0, maxMs: 0, maxAttempts: 1 },
  // never retried automatically; a manual retry (sidebar, API, CLI) runs it again (docs/design.md §4)
  cancelled: { retry: false, curve: 'none', baseMs: 0, maxMs: 0, maxAttempts: 1 },
};

export function isErrorCategory(v: unknown): v is ErrorCategory {
  return typeof v === 'string' && (ERROR_CATEGORIES as readonly string[]).includes(v);
}

/** Jitter of every job retry delay: ±20 % (shared/backoff.ts), so jobs failed together do not return together. */
export const RETRY_JITTER: readonly [number, number] = [0.8, 1.2];

/** One line of the `download_errors` cell. */
export interface ErrorLine {
  source: SourceName;
  attempt: number;
  category: ErrorCategory;
  message: string;
}

/** Collapses whitespace/new lines (one line per source) and cuts to MAX_ERROR_MESSAGE characters. */
export function cleanErrorMessage(message: string): string {
  const flat = String(message).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_MESSAGE ? flat.slice(0, MAX_ERROR_MESSAGE - 1) + '…' : flat;
}

/** `youtube#2 rate_limit: HTTP Error 429: Too Many Requests` */
export function formatErrorLine(line: ErrorLine): string {
  return `${line.source}#${line.attempt} ${line.category}: ${cleanErrorMessage(line.message)}`;
}

const LINE_RE = /^(youtube|drive)#(\d+) ([a-z_]+): ?(.*)$/;

/** Parses the cell; lines that do not follow the format are skipped. */
export function parseErrorLines(cell: unknown): ErrorLine[] {
  const out: ErrorLine[] = [];
  for (const raw of String(cell ?? '').split(/\r?\n/)) {
    const m = LINE_RE.exec(raw.trim());
    if (!m || !isErrorCategory(m[3])) continue;
    out.push({ source: m[1] as SourceName, attempt: Number(m[2]), category: m[3], message: m[4] ?? '' });
  }
  return out;
}

/** The attempt number last recorded for a source in the cell, or 0 when none. */
export function lastAttemptOf(cell: unknown, source: SourceName): number {
  let n = 0;
  for (const l of parseErrorLines(cell)) if (l.source === source) n = Math.max(n, l.attempt);
  return n;
}

/**
 * Replaces the source's line in the cell (latest attempt only), keeping the other source's line.
 * @param line the new line, or null to clear the source's line (a success).
 */
export function mergeErrorLine(cell: unknown, source: SourceName, line: ErrorLine | null): string {
  const others = parseErrorLines(cell).filter((l) => l.source !== source);
  const all = line ? [...others, line] : others;
  all.sort((a, b) => (a.source < b.source ? 1 : a.source > b.source ? -1 : 0)); // youtube first, drive second
  return all.map(formatErrorLine).join('\n');
}

/** What the user should do about a category: shown next to errors in the sidebar and the CLI. */
export const ERROR_ADVICE: Record<ErrorCategory, string> = {
  network: 'The host could not be reached; it is retried automatically.',
  rate_limit: 'The host is limiting requests; it is retried automatically after a pause.',
  quota: 'A download or API quota is used up; it is retried later, or wait a day and retry.',
  system: 'The downloader crashed; it is retried. If it repeats, update yt-dlp and check the worker logs.',
  file_io: 'Storage could not be written; check disk space or bucket permissions, then retry.',
  validation: 'The link is not supported or is malformed; fix the link, then reset the row.',
  permission: 'The media is private or gated; share it with the service account or make it public, then retry.',
  not_found:
    'The media was removed, the link is wrong, or (Drive) it is not shared with the service account; fix the link or the sharing, then reset the row.',
  data_corruption: 'The row changed (row_id or type) since dispatch; check the row, then reset it.',
  cancelled:
    'The job was cancelled on request and is not retried automatically; use "Retry failed rows" (or `sheet-archiver run --retry-failed`) to archive it again.',
};
