/**
 * Verifies `X-Archiver-Signature` (design §3): HMAC-SHA256 over `<t>.<METHOD>.<path and query>.<raw body>`,
 * compared in constant time, with |now − t| ≤ 300 s.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SIGNATURE_TOLERANCE_S, canonicalString, formatSignatureHeader, parseSignatureHeader } from '../../../shared/signature.js';

/** Hex HMAC-SHA256 of the canonical string. */
export function signatureHex(secret: string, t: number, method: string, pathAndQuery: string, body: string): string {
  return createHmac('sha256', secret)
    .update(canonicalString(t, method, pathAndQuery, body), 'utf8')
    .digest('hex');
}

/** A complete header value for a request, for clients (CLI, tests) calling the worker. */
export function signRequest(secret: string, method: string, pathAndQuery: string, body = '', t = Math.floor(Date.now() / 1000)): string {
  return formatSignatureHeader(t, signatureHex(secret, t, method, pathAndQuery, body));
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks a request's signature header.
 * @param nowS current time, unix seconds.
 * @returns ok, or a reason that is safe to show the caller (never the expected value).
 */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  method: string,
  pathAndQuery: string,
  body: string,
  nowS = Math.floor(Date.now() / 1000),
): VerifyResult {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'missing or malformed X-Archiver-Signature header (expected t=<unix seconds>,v1=<hex>)' };
  if (Math.abs(nowS - parsed.t) > SIGNATURE_TOLERANCE_S)
    return { ok: false, reason: `signature timestamp is more than ${SIGNATURE_TOLERANCE_S} s from the worker's clock` };
  const expected = Buffer.from(signatureHex(secret, parsed.t, method, pathAndQuery, body), 'hex');
  const given = Buffer.from(parsed.v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
