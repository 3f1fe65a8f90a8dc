/**
 * Reading Google API failures, shared by the Sheets and Drive clients: what a gaxios error (or a
 * fetch response) said — HTTP status, the `errors[].reason`s of Google's JSON error body
 * (https://cloud.google.com/apis/design/errors), the message, and Retry-After (RFC 9110 §10.2.3).
 * Each client maps this onto the design §4 categories its own way.
 */

/** What a failed Google API request said. `status` absent: no response at all. */
export interface GoogleErrorInfo {
  status?: number;
  /** the first reason, e.g. `notFound`, `userRateLimitExceeded` */
  reason?: string;
  /** every `errors[].reason` and `details[].reason` */
  reasons: string[];
  message: string;
  /** Retry-After, ms */
  retryAfterMs?: number;
  /** Node / fetch error code for failures without a response, e.g. ECONNRESET */
  code?: string;
}

/** A response header from a Fetch `Headers` or a plain (gaxios) header record. */
export function responseHeader(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, unknown>;
  const v = rec[name.toLowerCase()] ?? rec[name];
  return v === undefined || v === null ? undefined : String(v);
}

/** Retry-After (delta-seconds or an HTTP date) → ms; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | undefined | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

type ErrorBody = { error?: { message?: string; status?: string; errors?: { reason?: string }[]; details?: { reason?: string }[] } };

/** Reads status, reasons, message and Retry-After out of a gaxios error (or anything thrown). */
export function googleErrorInfo(err: unknown): GoogleErrorInfo {
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
  const ge = (data as ErrorBody | undefined)?.error;
  const reasons =
    ge && typeof ge === 'object' ? [...(ge.errors ?? []), ...(ge.details ?? [])].map((x) => x?.reason).filter((r): r is string => !!r) : [];
  const rawCode = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  const retryAfterMs = parseRetryAfter(responseHeader(e?.response?.headers, 'retry-after'));
  return {
    ...(status !== undefined ? { status } : {}),
    ...(reasons[0] ? { reason: reasons[0] } : {}),
    reasons,
    message: (ge && typeof ge === 'object' && ge.message) || e?.message || String(err),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rawCode && !/^\d+$/.test(rawCode) ? { code: rawCode } : {}),
  };
}
