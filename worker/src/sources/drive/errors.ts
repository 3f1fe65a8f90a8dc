/**
 * Drive API errors → the design §4 categories (issue 4 §6).
 *
 * Drive answers errors in Google's JSON format
 * (https://developers.google.com/drive/api/guides/handle-errors):
 * `{"error":{"code":403,"message":"…","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}]}}`.
 * gaxios puts that body in `err.response.data`, parsed for JSON calls and as text for
 * `responseType: 'stream'` calls; both are handled here.
 */
import { ArchiveError, toArchiveError } from '../../errors.js';

/** What a failed Drive request said. `status` is the HTTP status (absent: no response at all). */
export interface DriveErrorInfo {
  status?: number;
  /** the first `errors[].reason`, e.g. `notFound`, `userRateLimitExceeded` */
  reason?: string;
  message: string;
  /** Retry-After, ms */
  retryAfterMs?: number;
  /** Node / fetch error code for failures without a response, e.g. ECONNRESET */
  code?: string;
}

const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'rateLimitExceededUnreg']);
const QUOTA_REASONS = new Set(['downloadQuotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg', 'quotaExceeded']);

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, unknown>;
  const v = rec[name] ?? rec[name.toLowerCase()];
  return v === undefined || v === null ? undefined : String(v);
}

/** Retry-After (seconds or an HTTP date) → ms; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | undefined | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** True for an abort caused by an AbortSignal (the job was cancelled), not a network failure. */
export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { name?: string } } | undefined;
  return e?.name === 'AbortError' || e?.code === 'AbortError' || e?.code === 'ABORT_ERR' || e?.cause?.name === 'AbortError';
}

/** Reads status, reason, message and Retry-After out of a gaxios error (or anything thrown). */
export function driveErrorInfo(err: unknown): DriveErrorInfo {
  const e = err as {
    message?: string;
    code?: string | number;
    status?: number;
    response?: { status?: number; data?: unknown; headers?: unknown };
    cause?: { code?: string };
  };
  const status = e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
  // JSON calls: the parsed body. Stream calls: gaxios reads the body as text and, depending on
  // the version, leaves it in response.data or only in the message.
  let data = e?.response?.data;
  for (const candidate of [data, e?.message]) {
    if (typeof candidate !== 'string' || !candidate.trimStart().startsWith('{')) continue;
    try {
      data = JSON.parse(candidate);
      break;
    } catch {
      /* an HTML or text body */
    }
  }
  let reason: string | undefined;
  let message = e?.message ?? String(err);
  const ge = (data as { error?: { message?: string; errors?: { reason?: string; message?: string }[]; status?: string } } | undefined)?.error;
  if (ge && typeof ge === 'object') {
    reason = ge.errors?.find((x) => x?.reason)?.reason;
    if (ge.message) message = ge.message;
  }
  const rawCode = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  return {
    status,
    reason,
    message,
    retryAfterMs: parseRetryAfter(headerValue(e?.response?.headers, 'retry-after')),
    code: rawCode && !/^\d+$/.test(rawCode) ? rawCode : undefined,
  };
}

/**
 * Maps a failed Drive request to an ArchiveError (issue 4 §6):
 * 404 → not_found; 401 and 403 (insufficientPermissions, cannotDownloadFile,
 * cannotDownloadAbusiveFile, …) → permission; 403 userRateLimitExceeded / rateLimitExceeded and
 * 429 → rate_limit; downloadQuotaExceeded → quota; 408, 5xx, resets and other failures without
 * a response → network; 400 → validation. ArchiveErrors pass through unchanged.
 * Abort errors must be handled by the caller before (see isAbortError).
 * @param what what was being done, e.g. `downloading "clip.mp4" (1AbC…)`, prefixed to the message.
 */
export function mapDriveError(err: unknown, what: string): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const info = driveErrorInfo(err);
  const msg = `${what}: ${info.status ? `HTTP ${info.status}${info.reason ? ` ${info.reason}` : ''}: ` : ''}${info.message}`;
  const opts = { cause: err, retryAfterMs: info.retryAfterMs };
  const s = info.status;
  if (s === undefined) {
    const e = toArchiveError(err, 'network');
    return e.category === 'file_io' ? e : new ArchiveError('network', msg, opts);
  }
  if (s === 404 || s === 410) return new ArchiveError('not_found', msg, opts);
  if (s === 429) return new ArchiveError('rate_limit', msg, opts);
  if (info.reason && RATE_REASONS.has(info.reason)) return new ArchiveError('rate_limit', msg, opts);
  if (info.reason && QUOTA_REASONS.has(info.reason)) return new ArchiveError('quota', msg, opts);
  if (s === 401) return new ArchiveError('permission', `${msg} (the Drive credentials were rejected)`, opts);
  if (s === 403) {
    const hint =
      info.reason === 'cannotDownloadAbusiveFile'
        ? ' (Drive flags this file as malware/spam; enable acknowledgeAbuse to download it anyway)'
        : info.reason === 'cannotDownloadFile'
          ? ' (the owner has disabled downloading for viewers)'
          : '';
    return new ArchiveError('permission', msg + hint, opts);
  }
  if (s === 408 || s >= 500) return new ArchiveError('network', msg, opts);
  if (s === 416) return new ArchiveError('network', msg, opts);
  if (s === 400) return new ArchiveError('validation', msg, opts);
  return new ArchiveError('network', msg, opts);
}
