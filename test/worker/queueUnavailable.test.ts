/**
 * The queue backend unreachable (issue 9, docs/scaling.md "When Redis goes away"): /readyz says
 * so, and a dispatch answers 503 with Retry-After and a message that names no address. The queue
 * here is a double throwing QueueError 'unavailable'; the real Redis case is tested with BullMQ.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueError } from '../../worker/src/jobs/errors.js';
import type { JobBackend } from '../../worker/src/jobs/types.js';
import { queueCheck } from '../../worker/src/health/queueCheck.js';
import { UNAVAILABLE_RETRY_AFTER_S } from '../../worker/src/server/errors.js';
import { testApp } from '../support/app.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../../shared/signature.js';

const SECRET = 'test-secret-unavailable-0123456789';
const down = async () => {
  throw new QueueError('unavailable', 'connect ECONNREFUSED redis://:hunter2@10.0.0.9:6379');
};
/** Every queue call fails as a BullMQ backend does while Redis is gone. */
const unreachable = new Proxy({} as JobBackend, {
  get: (_t, prop) => (prop === 'kind' ? 'bullmq' : prop === 'then' ? undefined : down),
});

let server: ServerType;
let base: string;
beforeAll(async () => {
  const app = testApp({
    secret: SECRET,
    queue: unreachable,
    readiness: async () => {
      const q = await queueCheck(unreachable);
      return { ready: q.ok, checks: { queue: { ok: q.ok, detail: q.detail } } };
    },
  });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('queue backend unreachable', () => {
  it('queueCheck fails (never throws) for a ping that throws or answers false, and passes for one that answers', async () => {
    expect(await queueCheck(unreachable)).toMatchObject({ ok: false, detail: 'bullmq queue backend unreachable' });
    expect((await queueCheck(unreachable)).hint).toMatch(/REDIS_URL/);
    expect(await queueCheck({ ping: async () => false, openCount: async () => 0 })).toMatchObject({ ok: false });
    expect(await queueCheck({ ping: () => true, openCount: () => 3 })).toMatchObject({ ok: true, detail: 'sqlite, open (3 open jobs)' });
  });

  it('/readyz answers 503 naming the queue backend, without its address', async () => {
    const res = await fetch(`${base}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({
      status: 'not_ready',
      checks: { queue: { ok: false, detail: 'bullmq queue backend unreachable' } },
    });
    expect(text).not.toMatch(/hunter2|10\.0\.0\.9/);
  });

  it('POST /v1/dispatch answers 503 unavailable with Retry-After and a clear message', async () => {
    const raw = JSON.stringify(dispatchBody([{ rowId: 'r1', youtube: ['https://www.youtube.com/watch?v=dQw4w9WgXcQ'] }]));
    const res = await fetch(`${base}/v1/dispatch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signRequest(SECRET, 'POST', '/v1/dispatch', raw) },
      body: raw,
    });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_AFTER_S));
    const body = JSON.parse(text) as { error: string; message: string };
    expect(body.error).toBe('unavailable');
    expect(body.message).toMatch(/job queue cannot be reached.*nothing was changed/);
    expect(text).not.toMatch(/hunter2|10\.0\.0\.9|ECONNREFUSED/);
  });

  it('the admin routes answer 503 unavailable too', async () => {
    const api = signedClient(base, SECRET);
    const r = await api.request('GET', '/v1/jobs/stats');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ error: 'unavailable' });
  });
});
