/**
 * The `/v1/events` stream in process (docs/design.md §9): the heartbeat comment, and a slow
 * client that stops reading is disconnected once it falls `maxQueued` events behind, so the
 * worker holds nothing for it; it then resumes from the log with Last-Event-ID.
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../worker/src/events/bus.js';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { watchEvents } from '../../worker/src/events/sseClient.js';
import type { ArchiverEvent } from '../../worker/src/events/types.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { until } from '../support/wait.js';
import { testApp } from '../support/app.js';

const SECRET = 'sse-secret-0123456789abcdef';
let server: ServerType;
let port: number;
let queue: SqliteJobBackend;
let bus: EventBus;

beforeAll(async () => {
  queue = new SqliteJobBackend(':memory:');
  bus = new EventBus(new SqliteEventLog(queue.db), { maxQueued: 20 });
  const app = testApp({
    secret: SECRET,
    queue,
    log: pino({ level: 'silent' }),
    maxBodyBytes: 64 * 1024,
    events: new JobEvents(bus),
    sseHeartbeatMs: 100,
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  bus?.closeAll();
  server?.close();
  queue?.close();
});

const big = (i: number) => ({
  type: 'job.progress' as const,
  jobId: 'j_1',
  rowId: 'r1',
  spreadsheetId: 's',
  source: 'youtube' as const,
  data: { i, pad: 'x'.repeat(64 * 1024) },
});

/** A raw signed GET on a socket that reads only when told to. */
function rawStream(path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${SIGNATURE_HEADER}: ${signRequest(SECRET, 'GET', path)}\r\n\r\n`);
      resolve(sock);
    });
  });
}

describe('/v1/events in process', () => {
  it('sends a heartbeat comment while idle', async () => {
    let beats = 0;
    const ac = new AbortController();
    const done = watchEvents({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: SECRET,
      signal: ac.signal,
      onEvent: () => {},
      onHeartbeat: () => (++beats >= 3 ? ac.abort() : undefined),
    });
    await done.catch(() => undefined);
    expect(beats).toBeGreaterThanOrEqual(3);
    await until('subscription gone', () => (bus.subscriberCount === 0 ? true : undefined), 5000, 20);
  });

  it('drops a client that stops reading, then it resumes with Last-Event-ID and misses nothing', async () => {
    const sock = await rawStream('/v1/events');
    let head = '';
    sock.on('data', (d: Buffer) => (head += d.toString('latin1')));
    await until('stream open', () => (head.includes(': connected') ? true : undefined), 5000, 20);
    sock.pause(); // stops reading: the kernel buffers fill, then the worker's writes wait
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const firstId = bus.log.lastId() + 1;
    for (let i = 0; i < 400 && bus.subscriberCount > 0; i++) {
      bus.publish(big(i));
      await new Promise((r) => setImmediate(r));
    }
    expect(bus.subscriberCount).toBe(0); // dropped: its queue is freed
    const published = bus.log.lastId() - firstId + 1;
    expect(published).toBeLessThan(400);
    sock.resume();
    await closed; // the worker closed the connection

    // the client resumes from the last id it got and receives every event after it exactly once
    const ids = [...head.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const last = ids.length ? ids.at(-1)! : firstId - 1;
    const seen: ArchiverEvent[] = [];
    const ac = new AbortController();
    await watchEvents({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: SECRET,
      lastEventId: last,
      signal: ac.signal,
      onEvent: (e) => {
        seen.push(e);
        if (e.id === bus.log.lastId()) ac.abort();
      },
    }).catch(() => undefined);
    expect(seen.map((e) => e.id)).toEqual(Array.from({ length: bus.log.lastId() - last }, (_, i) => last + 1 + i));
  }, 30_000);
});
