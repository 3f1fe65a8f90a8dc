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
import { googleErrorInfo } from '../../google/apiErrors.js';

const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'rateLimitExceededUnreg']);
const QUOTA_REASONS = new Set(['downloadQuotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg', 'quotaExceeded']);

/** True for an abort caused by an AbortSignal (the job was cancelled), not a network failure. */
export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { name?: string } } | undefined;
  return e?.name === 'AbortError' || e?.code === 'AbortError' || e?.code === 'ABORT_ERR' || e?.cause?.name === 'AbortError';
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
  const info = googleErrorInfo(err);
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
