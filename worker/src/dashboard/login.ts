/**
 * The dashboard's login link (docs/dashboard.md): `sheet-archiver dashboard` prints
 * `<base>/ui/login?token=<expires>.<nonce>.<mac>`, where `mac` is HMAC-SHA256 (RFC 2104) of the
 * purpose `dashboard-login.v1`, the expiry and the nonce under the worker's secret (tokens.ts).
 * A token is good for LOGIN_TTL_MS (15 min) and, in this process, for one login: its nonce is
 * remembered until it expires.
 */
import { B64URL, mac, macEquals, randomId } from './tokens.js';

/** How long a login link holds, ms. */
export const LOGIN_TTL_MS = 15 * 60_000;

/** A fresh login token, valid `ttlMs` from `nowMs`. */
export function loginToken(secret: string, nowMs = Date.now(), ttlMs = LOGIN_TTL_MS): { token: string; expiresAt: number } {
  const expiresAt = Math.floor((nowMs + ttlMs) / 1000);
  const nonce = randomId();
  return { token: `${expiresAt}.${nonce}.${mac(secret, 'dashboard-login.v1', String(expiresAt), nonce)}`, expiresAt: expiresAt * 1000 };
}

/** The full link for a worker's base URL (`https://archiver.example.org`, no path). */
export function loginLink(base: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/ui/login?token=${encodeURIComponent(token)}`;
}

export type LoginCheck = { ok: true; nonce: string; expiresAt: number } | { ok: false; reason: string };

/**
 * Checks a token's form, MAC and expiry (not whether it was used: LoginNonces does that).
 * @returns a reason safe to show (never the expected MAC).
 */
export function checkLoginToken(secret: string, token: string | undefined, nowMs = Date.now()): LoginCheck {
  const m = /^([0-9]{1,12})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token ?? '');
  if (!m || !B64URL.test(m[2]!) || !B64URL.test(m[3]!)) return { ok: false, reason: 'the link is not a dashboard login link' };
  const [, exp, nonce, given] = m as unknown as [string, string, string, string];
  if (!macEquals(given, mac(secret, 'dashboard-login.v1', exp, nonce)))
    return { ok: false, reason: 'the link is not signed by this worker' };
  const expiresAt = Number(exp) * 1000;
  if (expiresAt <= nowMs) return { ok: false, reason: 'the link has expired' };
  // a longer life than we ever hand out means a different secret's rules: refuse it
  if (expiresAt > nowMs + LOGIN_TTL_MS + 60_000) return { ok: false, reason: 'the link claims a life longer than 15 minutes' };
  return { ok: true, nonce, expiresAt };
}

/** The nonces of login links already used, kept until their links expire. Bounded. */
export class LoginNonces {
  private readonly used = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  /** Marks `nonce` used. @returns false when it was used before (or the table is full). */
  claim(nonce: string, expiresAt: number, nowMs = Date.now()): boolean {
    for (const [n, exp] of this.used) if (exp <= nowMs) this.used.delete(n);
    if (this.used.has(nonce) || this.used.size >= this.max) return false;
    this.used.set(nonce, expiresAt);
    return true;
  }
}
