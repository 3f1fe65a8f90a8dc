import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { createApp } from '../../worker/src/server/app.js';
import { silentLogger } from '../../worker/src/log.js';
import { dispatchBody, signedClient, type SignedClient } from '../support/signedFetch.js';

const SECRET = 'test-secret-0123456789abcdef';
let server: ServerType;
let base: string;
let api: SignedClient;
let queue: SqliteJobBackend;
let woken = 0;

beforeAll(async () => {
  queue = new SqliteJobBackend(':memory:');
  const app = createApp({
    secret: SECRET,
    queue,
    log: silentLogger,
    maxBodyBytes: 64 * 1024,
    startedAt: Date.now() - 5000,
    readiness: async () => ({ ready: true, checks: { queue: { ok: true } } }),
    onEnqueued: () => woken++,
    lookup: async (key) => (key === 'r1/youtube/abc/video.mp4' ? { rowId: 'r1' } : null),
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = signedClient(base, SECRET);
});
afterAll(() => {
  server?.close();
  queue?.close();
});

const YT = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';

describe('public endpoints', () => {
  it('/healthz answers without a signature and reveals no configuration', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', version: expect.any(String), uptimeS: expect.any(Number) });
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(Object.keys(body).sort()).toEqual(['service', 'status', 'uptimeS', 'version']);
  });
});

describe('signature (design §3)', () => {
  it('rejects a missing signature with 401', async () => {
    const res = await fetch(`${base}/v1/jobs`);
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(/missing or malformed/);
  });

  it('rejects a wrong secret, a stale timestamp and a tampered body', async () => {
    expect((await api.request('GET', '/v1/jobs', undefined, { secret: 'another-secret-0123456789' })).status).toBe(401);
    const stale = await api.request('GET', '/v1/jobs', undefined, { t: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(stale.body.message).toMatch(/300 s/);
    // signed for one body, sent with another
    const body = JSON.stringify(dispatchBody([{ rowId: '1', youtube: [YT] }]));
    const { signRequest } = await import('../../worker/src/server/signature.js');
    const res = await fetch(`${base}/v1/dispatch`, {
      method: 'POST',
      headers: { 'X-Archiver-Signature': signRequest(SECRET, 'POST', '/v1/dispatch', body), 'content-type': 'application/json' },
      body: body.replace('"1"', '"2"'),
    });
    expect(res.status).toBe(401);
  });

  it('signs the query string too', async () => {
    const { signRequest } = await import('../../worker/src/server/signature.js');
    const res = await fetch(`${base}/v1/jobs?status=failed`, {
      headers: { 'X-Archiver-Signature': signRequest(SECRET, 'GET', '/v1/jobs', '') },
    });
    expect(res.status).toBe(401);
  });
});

describe('POST /v1/dispatch', () => {
  it('400 names the bad field', async () => {
    const body = dispatchBody([{ rowId: '', youtube: [YT] }]);
    const res = await api.request('POST', '/v1/dispatch', body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('rows.0.rowId');
    expect(res.body.message).toContain('rows.0.rowId');

    const bad = await api.request('POST', '/v1/dispatch', { ...dispatchBody([{ rowId: '1', youtube: ['ftp://x'] }]) });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('rows.0.youtube.0');

    const notJson = await api.request('POST', '/v1/dispatch', undefined, { rawBody: '{"rows": [' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.field).toBe('body');
  });

  it('413 for a body over the limit', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ rowId: String(i), youtube: [`${YT}&x=${'a'.repeat(200)}`] }));
    const res = await api.request('POST', '/v1/dispatch', dispatchBody(rows));
    expect(res.status).toBe(413);
  });

  it('202 with one job per (row, source), and the same jobs when dispatched again', async () => {
    const body = dispatchBody([
      { rowId: '151', youtube: [YT], drive: ['https://drive.google.com/file/d/1aZ7tN0pQv3kLmX9yR2sWbC4dE5fG6hJk/view'] },
      { rowId: '152', youtube: [YT] },
      { rowId: '153' },
    ]);
    const first = await api.request('POST', '/v1/dispatch', body);
    expect(first.status).toBe(202);
    expect(first.body.jobs.map((j: any) => [j.rowId, j.source, j.status])).toEqual([
      ['151', 'youtube', 'queued'],
      ['151', 'drive', 'queued'],
      ['152', 'youtube', 'queued'],
    ]);
    const wokenBefore = woken;
    const again = await api.request('POST', '/v1/dispatch', { ...body, dispatchId: crypto.randomUUID() });
    expect(again.status).toBe(202);
    expect(again.body.jobs.map((j: any) => j.jobId)).toEqual(first.body.jobs.map((j: any) => j.jobId));
    expect(woken).toBe(wokenBefore); // nothing new to run
  });
});

describe('jobs API', () => {
  it('lists with filters and pages, gets one job, and 404s an unknown one', async () => {
    await api.request('POST', '/v1/dispatch', dispatchBody(Array.from({ length: 5 }, (_, i) => ({ rowId: `p${i}`, youtube: [YT] }))));
    const page1 = await api.request('GET', '/v1/jobs?limit=2&source=youtube');
    expect(page1.status).toBe(200);
    expect(page1.body.jobs).toHaveLength(2);
    const page2 = await api.request('GET', `/v1/jobs?limit=2&source=youtube&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect(page2.body.jobs).toHaveLength(2);
    expect(page2.body.jobs[0].jobId).not.toBe(page1.body.jobs[0].jobId);

    const byRow = await api.request('GET', '/v1/jobs?rowId=p3');
    expect(byRow.body.jobs.map((j: any) => j.rowId)).toEqual(['p3']);
    const job = await api.request('GET', `/v1/jobs/${byRow.body.jobs[0].jobId}`);
    expect(job.body).toMatchObject({ rowId: 'p3', source: 'youtube', status: 'queued', attempt: 1, error: null, files: [] });

    expect((await api.request('GET', '/v1/jobs/j_nope')).status).toBe(404);
    const badFilter = await api.request('GET', '/v1/jobs?status=exploded');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.field).toBe('status');
  });

  it('cancel, then manual retry as a new attempt; retry of an open job conflicts', async () => {
    const { body } = await api.request('POST', '/v1/dispatch', dispatchBody([{ rowId: 'c1', youtube: [YT] }]));
    const jobId = body.jobs[0].jobId;
    expect((await api.request('POST', `/v1/jobs/${jobId}/retry`)).status).toBe(409);
    const cancelled = await api.request('POST', `/v1/jobs/${jobId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', error: { category: 'cancelled', message: 'cancelled on request' } });
    const retried = await api.request('POST', `/v1/jobs/${jobId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', attempt: 2 });
    expect((await api.request('POST', '/v1/jobs/j_nope/cancel')).status).toBe(404);
  });

  it('stats count by status', async () => {
    const stats = await api.request('GET', '/v1/jobs/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.byStatus.queued).toBeGreaterThan(0);
    expect(stats.body.total).toBe(Object.values(stats.body.byStatus as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(stats.body.pausedLanes).toEqual([]);
  });

  it('stats show a paused lane and when it resumes (design §4)', async () => {
    const untilMs = Date.now() + 60_000;
    await queue.pauseLane({ lane: 'media.example.org:8080', untilMs, reason: 'rate_limit: HTTP Error 429 (job j_x)' });
    const stats = await api.request('GET', '/v1/jobs/stats');
    expect(stats.body.pausedLanes).toEqual([
      { lane: 'media.example.org:8080', until: new Date(untilMs).toISOString(), reason: 'rate_limit: HTTP Error 429 (job j_x)' },
    ]);
  });

  it('lookup needs a key and 404s an unknown one', async () => {
    expect((await api.request('GET', '/v1/lookup')).status).toBe(400);
    expect((await api.request('GET', '/v1/lookup?key=nope')).status).toBe(404);
    const found = await api.request('GET', `/v1/lookup?key=${encodeURIComponent('r1/youtube/abc/video.mp4')}`);
    expect(found.body).toEqual({ rowId: 'r1' });
  });
});
