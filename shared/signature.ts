/**
 * The request signature (design §3):
 * `X-Archiver-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path and query>.<raw body>")>`.
 * This module builds and parses the strings only; the HMAC itself is computed by each runtime
 * (node:crypto in the worker, Utilities.computeHmacSha256Signature in Apps Script).
 */

export const SIGNATURE_HEADER = 'X-Archiver-Signature';
/** Allowed clock skew, seconds. */
export const SIGNATURE_TOLERANCE_S = 300;

/** The string that is signed, e.g. `1763716502.POST./v1/dispatch.{"dispatchId":…}`. */
export function canonicalString(t: number, method: string, pathAndQuery: string, body: string): string {
  return `${t}.${method.toUpperCase()}.${pathAndQuery}.${body}`;
}

export function formatSignatureHeader(t: number, hex: string): string {
  return `t=${t},v1=${hex}`;
}

/** Parses the header; null when it is missing or malformed. */
export function parseSignatureHeader(header: string | null | undefined): { t: number; v1: string } | null {
  if (!header) return null;
  let t: number | undefined;
  let v1: string | undefined;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) v1 = v.toLowerCase();
  }
  return t !== undefined && v1 !== undefined ? { t, v1 } : null;
}

/**
 * Hex of a byte array. Accepts Apps Script's signed bytes (-128…127): each is mapped to
 * `(b + 256) % 256` first, as design §3 requires.
 */
export function bytesToHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = ((bytes[i]! % 256) + 256) % 256;
    s += (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}
