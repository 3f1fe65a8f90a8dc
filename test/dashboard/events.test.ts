/**
 * The dashboard's event stream (`GET /ui/api/events`): the worker's /v1/events relayed for the
 * session, on a real listener. Events arrive live, `Last-Event-ID` replays from the log, and a
 * browser that goes away leaves no subscription behind.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginToken } from '../../worker/src/dashboard/login.js';
import { EventBus } from '../../worker/src/events/bus.js';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { testApp } from '../support/app.js';
import { until } from '../support/wait.js';

const SECRET = 'dashboard-events-secret-0123456789';
let server: ServerType;
let base: string;
let queue: SqliteJobBackend;
let bus: EventBus;
let cookie: string;

beforeAll(async () => {
  queue = new SqliteJobBackend(':memory:');
  bus = new EventBus(new SqliteEventLog(queue.db));
  const app = testApp({ secret: SECRET, queue, events: new JobEvents(bus), sseHeartbeatMs: 100, dashboard: {} });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/ui/login?token=${loginToken(SECRET).token}`, { redirect: 'manual' });
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
});
afterAll(async () => {
  bus?.closeAll();
  server?.close();
  await queue?.close();
});

const publish = (rowId: string) =>
  bus.publish({ type: 'job.queued', jobId: 'j_1', rowId, spreadsheetId: 's', source: 'youtube', data: { status: 'queued' } });

/** Reads the stream until `want` is in it; returns what was read. */
async function readUntil(res: Response, want: string): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!text.includes(want)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

describe('GET /ui/api/events', () => {
  it('relays live events and heartbeats to the session, and replays after Last-Event-ID', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/ui/api/events`, { headers: { cookie }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await until('subscribed', () => (bus.subscriberCount === 1 ? true : undefined), 5000, 20);
    const first = publish('live-1');
    const text = await readUntil(res, '"rowId":"live-1"');
    expect(text).toContain(`id: ${first.id}\nevent: job.queued\n`);
    ac.abort();

    const second = publish('later-2');
    const replay = await fetch(`${base}/ui/api/events`, { headers: { cookie, 'Last-Event-ID': String(first.id) } });
    const replayed = await readUntil(replay, ': heartbeat');
    expect(replayed).toContain(`id: ${second.id}\n`);
    expect(replayed).not.toContain(`id: ${first.id}\n`);
  });

  it('leaves no subscription behind when browsers disconnect', async () => {
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const res = await fetch(`${base}/ui/api/events`, { headers: { cookie }, signal: ac.signal });
      await readUntil(res, ': connected');
      ac.abort();
    }
    await until('subscriptions gone', () => (bus.subscriberCount === 0 ? true : undefined), 5000, 20);
    expect(bus.subscriberCount).toBe(0);
  });

  it('answers 401 without the session', async () => {
    const res = await fetch(`${base}/ui/api/events`);
    expect(res.status).toBe(401);
    expect(bus.subscriberCount).toBe(0);
  });
});
