/**
 * The dashboard's session (docs/dashboard.md#security): a cookie holding
 * `<expires>.<session id>.<mac>`, HMAC-signed (RFC 2104, tokens.ts) with the worker's secret, so
 * every worker sharing the secret accepts it and no session table is kept. The CSRF token is a
 * second MAC of the session id (a synchronizer token bound to the session, OWASP CSRF Prevention
 * Cheat Sheet): the page reads it from its HTML and sends it in `X-CSRF-Token`.
 */
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { B64URL, mac, macEquals, randomId } from './tokens.js';

export const SESSION_COOKIE = 'sa_dashboard';
/** How long a session lasts after login, ms. */
export const SESSION_TTL_MS = 12 * 3600_000;
export const CSRF_HEADER = 'X-CSRF-Token';

export interface Session {
  id: string;
  expiresAt: number;
  /** the CSRF token of this session */
  csrf: string;
}

/** A new session's cookie value. */
export function newSessionValue(secret: string, nowMs = Date.now(), ttlMs = SESSION_TTL_MS): string {
  const exp = String(Math.floor((nowMs + ttlMs) / 1000));
  const id = randomId();
  return `${exp}.${id}.${mac(secret, 'dashboard-session.v1', exp, id)}`;
}

/** The session a cookie value holds, or null when it is malformed, forged or expired. */
export function readSession(secret: string, value: string | undefined, nowMs = Date.now()): Session | null {
  const m = /^([0-9]{1,12})\.([^.]+)\.([^.]+)$/.exec(value ?? '');
  if (!m || !B64URL.test(m[2]!) || !B64URL.test(m[3]!)) return null;
  const [, exp, id, given] = m as unknown as [string, string, string, string];
  if (!macEquals(given, mac(secret, 'dashboard-session.v1', exp, id))) return null;
  const expiresAt = Number(exp) * 1000;
  if (expiresAt <= nowMs) return null;
  return { id, expiresAt, csrf: mac(secret, 'dashboard-csrf.v1', id) };
}

/** True when the request came over https (directly, or through a proxy that says so). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim() === 'https';
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/ui, Secure over https. */
export function setSessionCookie(c: Context, value: string, ttlMs = SESSION_TTL_MS): void {
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/ui',
    secure: isHttps(c),
    maxAge: Math.floor(ttlMs / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/ui', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

/** The request's session, or null. */
export function sessionOf(c: Context, secret: string): Session | null {
  return readSession(secret, getCookie(c, SESSION_COOKIE));
}

/** True when `given` is this session's CSRF token. */
export function csrfMatches(s: Session, given: string | undefined): boolean {
  return given !== undefined && macEquals(given, s.csrf);
}
