/**
 * `/v1/events` with a shared log (REDIS_URL, docs/design.md §6): two workers' apps on one real
 * redis-server; a client on worker B sees the events published on A and on B, in one id order,
 * and resumes with Last-Event-ID on worker A without a gap or a repeat.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../worker/src/events/bus.js';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { RedisEventLog } from '../../worker/src/events/redisLog.js';
import { watchEvents } from '../../worker/src/events/sseClient.js';
import type { ArchiverEvent, NewEvent } from '../../worker/src/events/types.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { testApp } from '../support/app.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { until } from '../support/wait.js';

const SECRET = 'shared-sse-secret-0123456789';
const missing = redisUnavailable();

interface Worker {
  bus: EventBus;
  url: string;
  close(): void;
}

const ev = (i: number, spreadsheetId = 's'): NewEvent => ({
  type: 'job.progress',
  jobId: `j_${i}`,
  rowId: `r${i}`,
  spreadsheetId,
  source: 'youtube',
  data: { i },
});

describe.skipIf(missing)('/v1/events on a shared Redis Stream', () => {
  let redis: RedisHandle;
  const clients: Redis[] = [];
  let a: Worker;
  let b: Worker;

  const worker = async (): Promise<Worker> => {
    const queue = new SqliteJobBackend(':memory:');
    const r = redis.client();
    clients.push(r);
    const bus = new EventBus(new SqliteEventLog(queue.db), { shared: new RedisEventLog({ redis: r, prefix: 'sse:' }) });
    const app = testApp({ secret: SECRET, queue, events: new JobEvents(bus), sseHeartbeatMs: 200 });
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    return {
      bus,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        bus.closeAll();
        server.close();
        void queue.close();
      },
    };
  };

  beforeAll(async () => {
    redis = await startRedis();
    a = await worker();
    b = await worker();
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    for (const c of clients) c.disconnect();
    await redis?.remove();
  });

  it("a client on B sees A's and B's events; it resumes on A from its Last-Event-ID", async () => {
    const seen: ArchiverEvent[] = [];
    const ac = new AbortController();
    let connected = false;
    const watching = watchEvents({
      baseUrl: b.url,
      secret: SECRET,
      signal: ac.signal,
      filter: { spreadsheetId: 's' },
      onEvent: (e) => {
        seen.push(e);
        if (seen.length === 20) ac.abort();
      },
      onHeartbeat: () => (connected = true),
    }).catch(() => undefined);
    await until('B streaming', () => (connected ? true : undefined), 5000, 20);
    for (let i = 0; i < 20; i++) {
      (i % 2 ? a : b).bus.publish(ev(i));
      (i % 2 ? b : a).bus.publish(ev(i, 'other-sheet')); // filtered out
    }
    await watching;
    expect(seen).toHaveLength(20);
    expect(seen.map((e) => e.data['i']).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const ids = seen.map((e) => e.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);

    // more events while the client is away; it comes back to worker A with the last id it saw
    await a.bus.sharedSettled();
    await b.bus.sharedSettled();
    for (let i = 20; i < 30; i++) (i % 2 ? a : b).bus.publish(ev(i));
    await a.bus.sharedSettled();
    await b.bus.sharedSettled();
    const resumed: ArchiverEvent[] = [];
    const ac2 = new AbortController();
    await watchEvents({
      baseUrl: a.url,
      secret: SECRET,
      lastEventId: ids.at(-1)!,
      filter: { spreadsheetId: 's' },
      signal: ac2.signal,
      onEvent: (e) => {
        resumed.push(e);
        if (resumed.length === 10) ac2.abort();
      },
    }).catch(() => undefined);
    expect(resumed.map((e) => e.data['i']).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect(resumed.every((e) => e.id > ids.at(-1)!)).toBe(true);
  }, 30_000);
});
