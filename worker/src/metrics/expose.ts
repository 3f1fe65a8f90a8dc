/**
 * Where `GET /metrics` is served, so that it is never public by accident:
 *  - METRICS_PORT set: on its own listener at METRICS_HOST (127.0.0.1 by default), and not on
 *    the main port;
 *  - else METRICS_TOKEN set: on the main listener, with `Authorization: Bearer <token>` (RFC 6750);
 *  - neither: nowhere (the main port answers 404, and no metric is collected).
 * With both set, the separate listener asks for the token too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { serve as serveHttp, type ServerType } from '@hono/node-server';
import { Hono, type Env as Env_, type MiddlewareHandler } from 'hono';
import type { AddressInfo } from 'node:net';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import { HttpError, httpErrorHandler } from '../server/errors.js';
import type { ArchiverMetrics } from './registry.js';

/** True when the configuration exposes metrics somewhere (then, and only then, they are collected). */
export function metricsEnabled(e: Pick<Env, 'METRICS_PORT' | 'METRICS_TOKEN'>): boolean {
  return e.METRICS_PORT !== undefined || e.METRICS_TOKEN !== undefined;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>`, comparing SHA-256 digests in constant time (equal
 * lengths whatever the input, so neither the token nor its length leaks through timing).
 * @throws HttpError 401 `unauthorized` (answered as JSON by server/errors.ts), with
 *   `WWW-Authenticate: Bearer` (RFC 6750 §3).
 */
export function bearerToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const m = /^Bearer +([^\s]+) *$/i.exec(c.req.header('authorization') ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="sheet-archiver metrics"');
      throw new HttpError(401, 'unauthorized', m ? 'metrics token does not match' : 'metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    await next();
  };
}

/** The `GET /metrics` handler chain: the token check when one is configured, then the exposition text. */
function metricsRoute(app: Hono, metrics: ArchiverMetrics, token: string | undefined): void {
  const handler = async (c: Parameters<MiddlewareHandler>[0]) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  };
  if (token) app.get('/metrics', bearerToken(token), handler);
  else app.get('/metrics', handler);
}

/** Mounts `GET /metrics` on the main app when the configuration puts it there (token, no METRICS_PORT). */
export function mountOnMainApp<E extends Env_>(
  app: Hono<E>,
  metrics: ArchiverMetrics,
  e: Pick<Env, 'METRICS_PORT' | 'METRICS_TOKEN'>,
): void {
  if (e.METRICS_PORT === undefined && e.METRICS_TOKEN) metricsRoute(app as unknown as Hono, metrics, e.METRICS_TOKEN);
}

export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the separate metrics listener when METRICS_PORT is set; null otherwise.
 * @throws Error when the port cannot be bound (the message names METRICS_HOST:METRICS_PORT).
 */
export async function startMetricsListener(
  metrics: ArchiverMetrics,
  e: Pick<Env, 'METRICS_PORT' | 'METRICS_HOST' | 'METRICS_TOKEN'>,
  log: Logger,
): Promise<MetricsListener | null> {
  if (e.METRICS_PORT === undefined) return null;
  const app = new Hono();
  metricsRoute(app, metrics, e.METRICS_TOKEN);
  app.notFound((c) => c.json({ error: 'not_found', message: 'this listener serves GET /metrics only' }, 404));
  app.onError(httpErrorHandler(log));
  const server: ServerType = serveHttp({ fetch: app.fetch, port: e.METRICS_PORT, hostname: e.METRICS_HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) =>
      reject(new Error(`cannot listen for metrics on ${e.METRICS_HOST}:${e.METRICS_PORT}: ${(err as Error).message}`)),
    );
  });
  const port = (server.address() as AddressInfo).port;
  if (!isLoopback(e.METRICS_HOST) && !e.METRICS_TOKEN) {
    log.warn({ host: e.METRICS_HOST, port }, 'metrics listener is not on a loopback address and has no METRICS_TOKEN: firewall it');
  }
  const host = e.METRICS_HOST.includes(':') ? `[${e.METRICS_HOST}]` : e.METRICS_HOST;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
