/**
 * The operator dashboard's routes under /ui (docs/dashboard.md, issue 11 item 6):
 *
 * - `GET /ui/login?token=…` checks a login link (login.ts), sets the session cookie (session.ts)
 *   and answers a page that opens /ui (html.ts signedInPage); the only way in.
 * - `GET /ui`, `/ui/assets/*`, `GET /ui/api/overview`, `GET /ui/api/events` (SSE) need the
 *   session; without it they answer 401.
 * - `POST /ui/api/jobs/:jobId/retry|cancel` and `POST /ui/logout` also need the session's CSRF
 *   token in X-CSRF-Token and a same-origin `Origin`; otherwise 403.
 *
 * The JSON and the stream come from the worker's own signed /v1 routes, called in-process with a
 * signature this module makes (signature.ts): the same stats, list, report, retry, cancel and
 * events logic as the API (docs/design.md §3, §9), and the page never sees the secret.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { ERROR_ADVICE, isErrorCategory } from '../../../shared/errors.js';
import { SIGNATURE_HEADER } from '../../../shared/signature.js';
import type { JobRecord } from '../../../shared/schemas.js';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../log.js';
import { HttpError, type HttpErrorCode } from '../server/errors.js';
import type { AppEnv } from '../server/signed.js';
import { signRequest } from '../server/signature.js';
import { JobIdSchema } from '../server/validate.js';
import { ASSET_TYPES, assetLoader, defaultUiDir, type AssetName } from './assets.js';
import { dashboardPage, messagePage, signedInPage } from './html.js';
import { checkLoginToken, LoginNonces } from './login.js';
import {
  clearSessionCookie,
  CSRF_HEADER,
  csrfMatches,
  isHttps,
  newSessionValue,
  sessionOf,
  setSessionCookie,
  type Session,
} from './session.js';

export interface DashboardOptions {
  secret: string;
  log: Logger;
  /** the worker's public base URL (ARCHIVER_WORKER_URL): its origin is accepted in `Origin` */
  publicUrl?: string;
  /** where dashboard.js/.css are (default worker/dist/ui) */
  uiDir?: string;
}

/** What the page needs of a job (the overview lists). */
export type JobView = Pick<
  JobRecord,
  'jobId' | 'rowId' | 'rowNumber' | 'sheetName' | 'spreadsheetId' | 'source' | 'status' | 'attempt' | 'progress' | 'error' | 'updatedAt'
> & { advice: string | null };

/** The statuses each overview list holds. */
const LISTS = { running: ['downloading', 'uploading'], waiting: ['queued', 'retrying'], failing: ['failed', 'cancelled'] } as const;
const LIST_LIMIT = 50;

/** The Content-Security-Policy of every /ui answer: only this origin's script, style and fetches. */
const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

function viewOf(j: JobRecord): JobView {
  const category = j.error?.category;
  return {
    jobId: j.jobId,
    rowId: j.rowId,
    rowNumber: j.rowNumber,
    sheetName: j.sheetName,
    spreadsheetId: j.spreadsheetId,
    source: j.source,
    status: j.status,
    attempt: j.attempt,
    progress: j.progress,
    error: j.error,
    updatedAt: j.updatedAt,
    advice: category && isErrorCategory(category) ? ERROR_ADVICE[category] : null,
  };
}

/** Mounts /ui on `app` (the worker's app: the in-process calls go to its /v1 routes). */
export function mountDashboard(app: Hono<AppEnv>, o: DashboardOptions): void {
  const nonces = new LoginNonces();
  const asset = assetLoader(o.uiDir ?? defaultUiDir());
  const publicOrigin = o.publicUrl ? safeOrigin(o.publicUrl) : null;

  /** Calls the worker's own signed API (same routes, validation and errors as a client gets). */
  const v1 = (method: 'GET' | 'POST', pathAndQuery: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
    app.request(pathAndQuery, {
      method,
      headers: { ...init.headers, [SIGNATURE_HEADER]: signRequest(o.secret, method, pathAndQuery, '') },
      ...(init.signal ? { signal: init.signal } : {}),
    });
  const v1Json = async <T>(pathAndQuery: string): Promise<T | null> => {
    const res = await v1('GET', pathAndQuery);
    if (res.status === 404) return null; // e.g. no report configured
    if (!res.ok) {
      // the API's own answer (a 503 while the queue is unreachable), passed on as it is
      const body = (await res.json().catch(() => ({}))) as { error?: HttpErrorCode; message?: string };
      throw new HttpError(res.status as ContentfulStatusCode, body.error ?? 'internal', body.message ?? `HTTP ${res.status}`);
    }
    return (await res.json()) as T;
  };

  app.use('/ui', ...headers);
  app.use('/ui/*', ...headers);

  app.get('/ui/login', async (c) => {
    const check = checkLoginToken(o.secret, c.req.query('token'));
    if (!check.ok || !nonces.claim(check.nonce, check.expiresAt)) {
      const reason = check.ok ? 'the link was used already' : check.reason;
      o.log.warn({ reason }, 'dashboard: login refused');
      return c.html(messagePage('This login link does not work', `Refused: ${reason}.`), 403);
    }
    setSessionCookie(c, newSessionValue(o.secret));
    o.log.info({}, 'dashboard: signed in');
    // a page that moves on, not a redirect: see signedInPage
    return c.html(signedInPage());
  });

  // every other /ui route needs the session
  const requireSession: MiddlewareHandler = async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (path === '/ui/login') return next();
    const s = sessionOf(c, o.secret);
    if (!s) {
      if (path.startsWith('/ui/api/'))
        return c.json({ error: 'unauthorized', message: 'sign in with a link from `sheet-archiver dashboard`' }, 401);
      return c.html(messagePage('Sign in to the dashboard', 'This page needs a session, and you have none (or it expired).'), 401);
    }
    return next();
  };
  app.use('/ui', requireSession);
  app.use('/ui/*', requireSession);
  // past requireSession: re-reading the cookie is one HMAC
  const session = (c: Context): Session => sessionOf(c, o.secret)!;

  /** Refuses a state-changing call without this session's CSRF token or from another origin. */
  const requireCsrf = (c: Context): Response | null => {
    const s = session(c);
    const origin = c.req.header('Origin');
    const own = new Set([new URL(c.req.url).origin]);
    if (isHttps(c)) own.add(`https://${new URL(c.req.url).host}`);
    if (publicOrigin) own.add(publicOrigin);
    const site = c.req.header('Sec-Fetch-Site');
    let reason: string | null = null;
    if (!origin || !own.has(origin)) reason = 'Origin: not this dashboard';
    else if (site !== undefined && site !== 'same-origin') reason = 'Sec-Fetch-Site: not same-origin';
    else if (!csrfMatches(s, c.req.header(CSRF_HEADER))) reason = `${CSRF_HEADER}: missing or not this session's token`;
    if (!reason) return null;
    o.log.warn({ reason }, 'dashboard: state-changing call refused');
    return c.json({ error: 'forbidden', message: reason }, 403);
  };

  app.get('/ui', (c) => {
    return c.html(dashboardPage(session(c).csrf));
  });
  app.get('/ui/', (c) => c.redirect('/ui', 308));

  app.get('/ui/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (!(name in ASSET_TYPES)) return c.json({ error: 'not_found', message: `no asset ${name}` }, 404);
    const body = await asset(name as AssetName);
    if (!body) return c.json({ error: 'unavailable', message: 'the dashboard is not built: run `npm run build`' }, 503);
    return c.body(new Uint8Array(body), 200, { 'Content-Type': ASSET_TYPES[name as AssetName] });
  });

  app.get('/ui/api/overview', async (c) => {
    const list = async (statuses: readonly string[]) =>
      (await Promise.all(statuses.map((s) => v1Json<{ jobs: JobRecord[] }>(`/v1/jobs?status=${s}&limit=${LIST_LIMIT}`)))).flatMap(
        (p) => p?.jobs ?? [],
      );
    const [stats, report, running, waiting, failing] = await Promise.all([
      v1Json<unknown>('/v1/jobs/stats'),
      v1Json<unknown>('/v1/report?since=24h'),
      list(LISTS.running),
      list(LISTS.waiting),
      list(LISTS.failing),
    ]);
    const newest = (a: JobRecord, b: JobRecord) => b.updatedAt.localeCompare(a.updatedAt);
    return c.json({
      generatedAt: new Date().toISOString(),
      stats,
      report,
      running: running.map(viewOf),
      waiting: waiting.map(viewOf),
      failing: failing.sort(newest).slice(0, LIST_LIMIT).map(viewOf),
    });
  });

  // the signed event stream, relayed: same replay (Last-Event-ID), heartbeat and slow-client drop
  app.get('/ui/api/events', async (c) => {
    const last = c.req.header('Last-Event-ID') ?? c.req.query('lastEventId');
    const path = last !== undefined && /^[0-9]{1,15}$/.test(last) ? `/v1/events?lastEventId=${last}` : '/v1/events';
    const res = await v1('GET', path, { signal: c.req.raw.signal });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });

  for (const action of ['retry', 'cancel'] as const) {
    app.post(`/ui/api/jobs/:jobId/${action}`, async (c) => {
      const refused = requireCsrf(c);
      if (refused) return refused;
      const id = JobIdSchema.safeParse(c.req.param('jobId'));
      if (!id.success) return c.json({ error: 'invalid_request', message: 'jobId: not a job id', field: 'jobId' }, 400);
      const res = await v1('POST', `/v1/jobs/${id.data}/${action}`);
      o.log.info({ jobId: id.data, action, status: res.status }, 'dashboard: job action');
      return new Response(res.body, { status: res.status, headers: { 'Content-Type': 'application/json' } });
    });
  }

  app.post('/ui/logout', (c) => {
    const refused = requireCsrf(c);
    if (refused) return refused;
    clearSessionCookie(c);
    return c.json({ ok: true });
  });
}

/** Security headers of every /ui answer (hono/secure-headers): strict CSP, no referrer, no caching. */
const headers: MiddlewareHandler[] = [
  secureHeaders({
    contentSecurityPolicy: CSP,
    referrerPolicy: 'no-referrer', // the login URL carries its token
    crossOriginResourcePolicy: 'same-origin',
    xFrameOptions: 'DENY',
  }),
  async (c, next) => {
    await next();
    if (!c.res.headers.get('Content-Type')?.startsWith('text/event-stream')) c.header('Cache-Control', 'no-store');
  },
];

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
