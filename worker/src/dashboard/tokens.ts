/**
 * The dashboard's signed values (docs/dashboard.md#security): the login link's token, the session
 * cookie and the CSRF token. Each is HMAC-SHA256 (RFC 2104) keyed with the worker's secret over a
 * purpose label and its fields, so a value made for one purpose never verifies as another, nor as
 * a request signature or a content link (those MAC other strings, design §3).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a MAC is for; part of the MAC'd string. */
export type TokenPurpose = 'dashboard-login.v1' | 'dashboard-session.v1' | 'dashboard-csrf.v1';

/** base64url HMAC-SHA256 (RFC 2104) of `"<purpose>\n<field>\n<field>…"` under `secret`. */
export function mac(secret: string, purpose: TokenPurpose, ...fields: string[]): string {
  return createHmac('sha256', secret)
    .update([purpose, ...fields].join('\n'), 'utf8')
    .digest('base64url');
}

/** Constant-time comparison of two base64url MACs. */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** 128 random bits, base64url: session ids and login nonces. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** A base64url field of a token: 1…64 characters. */
export const B64URL = /^[A-Za-z0-9_-]{1,64}$/;
