/**
 * The worker's HTTP app with its event log and bus (docs/design.md §9), as a program for
 * bench/sse-fanout.ts: the server side runs in its own process so its RSS is its own and the
 * 500 clients do not share its event loop. Not a benchmark itself (bench/run-all.ts skips
 * bench/support/).
 *
 *   node --import tsx bench/support/sseServer.ts <secret> <queue.db path>
 *
 * Prints `{"port":N,"pid":N}` once listening. Stdin commands, one per line:
 *   `burst N`  publishes N job.progress events in one synchronous loop (each appended to the
 *              durable log, synchronous=FULL, as in `serve`), then prints `{"published":N,"ms":…,"doneAt":<ms since epoch>}`
 *   `subs`     prints `{"subscribers":N}`
 * Exits when stdin ends.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { EventBus } from '../../worker/src/events/bus.js';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { testApp } from '../../test/support/app.js';

const [secret, dbPath] = process.argv.slice(2) as [string, string];
const queue = new SqliteJobBackend(dbPath);
const bus = new EventBus(new SqliteEventLog(queue.db));
const app = testApp({
  secret,
  queue,
  log: pino({ level: 'warn' }),
  events: new JobEvents(bus),
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((r) => server.once('listening', () => r()));
process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid }) + '\n');

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'burst') {
    const n = Number(arg);
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      bus.publish({
        type: 'job.progress',
        jobId: `j_bench${i % 20}`,
        rowId: String(100 + (i % 20)),
        spreadsheetId: 'bench-sheet',
        source: 'youtube',
        data: { status: 'downloading', attempt: 1, percent: (i % 100) + 0.5, bytes: i * 4096, totalBytes: 409_600, stage: 'downloading' },
      });
    }
    process.stdout.write(JSON.stringify({ published: n, ms: Math.round(performance.now() - t), doneAt: Date.now() }) + '\n');
  } else if (cmd === 'subs') {
    process.stdout.write(JSON.stringify({ subscribers: bus.subscriberCount }) + '\n');
  }
});
rl.on('close', () => {
  bus.closeAll();
  server.close();
  queue.close();
  process.exit(0);
});
