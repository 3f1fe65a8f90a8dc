/**
 * The dashboard's way in (docs/dashboard.md#security), on the worker's app without a browser:
 * only a signed, unexpired, unused login link opens a session; every /ui route needs it; retry
 * and cancel also need the session's CSRF token and this origin.
 */
import { describe, expect, it } from 'vitest';
import { checkLoginToken, loginToken } from '../../worker/src/dashboard/login.js';
import { readSession, newSessionValue } from '../../worker/src/dashboard/session.js';
import { mac } from '../../worker/src/dashboard/tokens.js';
import { QueueError } from '../../worker/src/jobs/errors.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { testApp } from '../support/app.js';
import { runCli } from '../support/cli.js';

const SECRET = 'dashboard-secret-0123456789abcdef';
const ORIGIN = 'http://localhost';

function app() {
  return testApp({ secret: SECRET, queue: new SqliteJobBackend(':memory:'), dashboard: {} });
}

async function login(a: ReturnType<typeof app>): Promise<{ cookie: string; csrf: string }> {
  const res = await a.request(`/ui/login?token=${loginToken(SECRET).token}`);
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await a.request('/ui', { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
}

describe('login link', () => {
  it('is an HMAC over its purpose, expiry and nonce: a wrong secret, a changed expiry, the wrong purpose fail', () => {
    const { token } = loginToken(SECRET);
    expect(checkLoginToken(SECRET, token).ok).toBe(true);
    expect(checkLoginToken('another-secret-0123456789', token)).toEqual({ ok: false, reason: 'the link is not signed by this worker' });
    const [exp, nonce] = token.split('.');
    expect(checkLoginToken(SECRET, `${Number(exp) + 60}.${nonce}.${token.split('.')[2]}`).ok).toBe(false);
    // a session MAC over the same fields is not a login MAC
    expect(checkLoginToken(SECRET, `${exp}.${nonce}.${mac(SECRET, 'dashboard-session.v1', exp!, nonce!)}`).ok).toBe(false);
    expect(checkLoginToken(SECRET, loginToken(SECRET, Date.now() - 16 * 60_000).token)).toEqual({
      ok: false,
      reason: 'the link has expired',
    });
    expect(checkLoginToken(SECRET, 'x.y').ok).toBe(false);
  });

  it('sets an HttpOnly, SameSite=Strict, Path=/ui cookie and answers a page that opens /ui; the link works once', async () => {
    const a = app();
    const { token } = loginToken(SECRET);
    const res = await a.request(`/ui/login?token=${token}`);
    // a page, not a 303: a redirect after a click on another site would drop the Strict cookie
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toContain('<meta http-equiv="refresh" content="0; url=/ui">');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^sa_dashboard=[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/ui');
    expect(cookie).not.toContain('Secure'); // plain http here; https sets it (below)
    const again = await a.request(`/ui/login?token=${token}`);
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('the link was used already');
    const tls = await a.request(`https://archiver.example.org/ui/login?token=${loginToken(SECRET).token}`);
    expect(tls.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses forged and expired links with 403 and no cookie', async () => {
    const a = app();
    for (const token of [loginToken('not-the-worker-secret-0123').token, loginToken(SECRET, Date.now() - 20 * 60_000).token, 'garbage']) {
      const res = await a.request(`/ui/login?token=${encodeURIComponent(token)}`);
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });
});

describe('session', () => {
  it('every /ui route answers 401 without it, or with a forged or expired one', async () => {
    const a = app();
    const forged = `sa_dashboard=${newSessionValue('not-the-worker-secret-0123')}`;
    const expired = `sa_dashboard=${newSessionValue(SECRET, Date.now() - 13 * 3600_000)}`;
    for (const cookie of [undefined, forged, expired]) {
      for (const path of ['/ui', '/ui/assets/dashboard.js', '/ui/api/overview', '/ui/api/events']) {
        const res = await a.request(path, cookie ? { headers: { cookie } } : {});
        expect(res.status, `${path} with ${cookie ?? 'no cookie'}`).toBe(401);
      }
    }
    expect(readSession(SECRET, newSessionValue(SECRET))).not.toBeNull();
  });

  it('/ui has a strict CSP (no inline script), no referrer, no caching; the page holds no secret', async () => {
    const a = app();
    const { cookie } = await login(a);
    const res = await a.request('/ui', { headers: { cookie } });
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toContain(SECRET);
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // only external scripts
  });

  it('retry and cancel need the CSRF token and this origin: 403 otherwise', async () => {
    const a = app();
    const { cookie, csrf } = await login(a);
    const post = (headers: Record<string, string>) =>
      a.request('/ui/api/jobs/j_01NOSUCHJOB/cancel', { method: 'POST', headers: { cookie, ...headers } });
    const noToken = await post({ origin: ORIGIN });
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).message).toContain('X-CSRF-Token');
    expect((await post({ origin: ORIGIN, 'x-csrf-token': mac(SECRET, 'dashboard-csrf.v1', 'another-session') })).status).toBe(403);
    const evil = await post({ origin: 'https://evil.example', 'x-csrf-token': csrf });
    expect(evil.status).toBe(403);
    expect((await evil.json()).message).toContain('Origin');
    expect((await post({ 'x-csrf-token': csrf })).status).toBe(403); // no Origin at all
    expect((await post({ origin: ORIGIN, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // with both, the call reaches the API (which knows no such job)
    const ok = await post({ origin: ORIGIN, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(404);
    expect((await ok.json()).message).toBe('no job j_01NOSUCHJOB');
  });
});

describe('overview', () => {
  it("passes the API's own answer on: a 503 while the queue is unreachable", async () => {
    const queue = new SqliteJobBackend(':memory:');
    const down = Object.assign(Object.create(queue) as SqliteJobBackend, {
      stats: async () => {
        throw new QueueError('unavailable', 'the queue store cannot be reached (Redis at redis://q:6379)');
      },
    });
    const a = testApp({ secret: SECRET, queue: down, dashboard: {} });
    const { cookie } = await login(a);
    const res = await a.request('/ui/api/overview', { headers: { cookie } });
    expect(res.status).toBe(503);
    expect((await res.json()).error).toBe('unavailable');
    const up = await app().request('/ui/api/overview', { headers: { cookie } });
    expect(up.status).toBe(200);
    const o = await up.json();
    expect(o.stats.total).toBe(0);
    expect(o.report).toBeNull(); // no report on this app: the page says so
    expect(o).toMatchObject({ running: [], waiting: [], failing: [] });
  });
});

describe('sign out and the dashboard command', () => {
  it('sign out (with the CSRF token) clears the cookie', async () => {
    const a = app();
    const { cookie, csrf } = await login(a);
    expect((await a.request('/ui/logout', { method: 'POST', headers: { cookie, origin: ORIGIN } })).status).toBe(403);
    const res = await a.request('/ui/logout', { method: 'POST', headers: { cookie, origin: ORIGIN, 'x-csrf-token': csrf } });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^sa_dashboard=; Max-Age=0; Path=\/ui; HttpOnly; SameSite=Strict/);
  });

  it('`sheet-archiver dashboard` prints a link to ARCHIVER_WORKER_URL, and exits 2 without a secret or with a bad --url', async () => {
    const ok = await runCli(['dashboard', '--json'], { ARCHIVER_SECRET: SECRET, ARCHIVER_WORKER_URL: 'https://archiver.example.org' });
    expect(ok.code).toBe(0);
    const { url, expiresAt } = JSON.parse(ok.stdout);
    expect(url).toMatch(/^https:\/\/archiver\.example\.org\/ui\/login\?token=/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(checkLoginToken(SECRET, new URL(url).searchParams.get('token')!).ok).toBe(true);
    const noSecret = await runCli(['dashboard'], {});
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('ARCHIVER_SECRET');
    const badUrl = await runCli(['dashboard', '--url', 'ftp://x/y'], { ARCHIVER_SECRET: SECRET });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--url: "ftp://x/y" is not http(s)://host[:port]');
  });
});
