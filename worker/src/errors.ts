/**
 * The worker's one error type: an error that carries its design §4 category, so the queue knows
 * whether and when to retry and the sheet can show `youtube#2 rate_limit: …`.
 */
import type { ErrorCategory } from '../../shared/errors.js';

export class ArchiveError extends Error {
  /** design §4 category */
  readonly category: ErrorCategory;
  /** a server-given wait (Retry-After), ms; overrides the policy's delay when longer */
  readonly retryAfterMs: number | undefined;

  constructor(category: ErrorCategory, message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ArchiveError';
    this.category = category;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Node system error codes that mean "the network", per libuv/getaddrinfo. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const FILE_IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'EIO']);

/** Wraps anything thrown into an ArchiveError, guessing the category from Node error codes. */
export function toArchiveError(err: unknown, fallback: ErrorCategory = 'system'): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  if (NETWORK_CODES.has(code)) return new ArchiveError('network', message, { cause: err });
  if (FILE_IO_CODES.has(code)) return new ArchiveError('file_io', message, { cause: err });
  return new ArchiveError(fallback, message, { cause: err });
}
