/**
 * `GET /v1/events` (docs/design.md §9): job events as Server-Sent Events (hono/streaming's
 * streamSSE), signed like every /v1 route (mounted behind the signature middleware).
 *
 * Query `rowId`, `jobId`, `spreadsheetId` filter; `Last-Event-ID` (header, as EventSource sends
 * it on reconnect) or `lastEventId` (query, for clients that cannot set headers) replays the
 * durable log after that id first, then goes live without a gap. Without either, the stream
 * starts with the next event. A comment line every `heartbeatMs` (15 s) keeps proxies from
 * closing an idle stream. A client that falls `maxQueued` events behind is disconnected and
 * resumes with Last-Event-ID; it never makes the worker buffer more than that.
 *
 * With a shared log (REDIS_URL, events/redisLog.ts) the stream reads it instead: every worker's
 * events, with the shared ids, so a client behind a load balancer resumes on any worker. The live
 * part then follows the Redis Stream at the client's pace (nothing is buffered for it).
 */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { EventBus, Subscription } from '../events/bus.js';
import { matches, type ArchiverEvent, type EventFilter } from '../events/types.js';
import type { Logger } from '../log.js';
import { badRequest } from './errors.js';
import type { AppEnv } from './signed.js';
import { JobIdSchema, validQuery } from './validate.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
const PAGE = 500;
/** most bytes of SSE frames handed to the socket in one write */
const WRITE_CHUNK = 64 * 1024;

/** Each event's SSE frame, serialised once however many clients receive it. */
const frames = new WeakMap<ArchiverEvent, string>();
function frameOf(e: ArchiverEvent): string {
  let f = frames.get(e);
  if (f === undefined) {
    // JSON.stringify escapes newlines, so the data is one `data:` line; type and id never hold one
    f = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    frames.set(e, f);
  }
  return f;
}

const EventId = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'an event id (the `id:` of an earlier event, digits)')
  .transform(Number);

const EventsQuerySchema = z.object({
  rowId: z.string().min(1).max(200).optional(),
  jobId: JobIdSchema.optional(),
  spreadsheetId: z.string().min(1).max(200).optional(),
  lastEventId: EventId.optional(),
});

export interface EventsRouteOptions {
  bus: EventBus;
  log: Logger;
  /** heartbeat comment interval, ms (default 15 s) */
  heartbeatMs?: number;
  /** events a client may fall behind before it is dropped (default the bus's, 1000) */
  maxQueued?: number;
}

/** Mounts `GET /v1/events` on `app` (after the /v1 signature middleware). */
export function mountEvents(app: Hono<AppEnv>, o: EventsRouteOptions): void {
  app.get('/v1/events', validQuery(EventsQuerySchema), (c) => {
    const q = c.req.valid('query');
    const header = c.req.header('Last-Event-ID');
    let after: number | undefined = q.lastEventId;
    if (header !== undefined && header !== '') {
      const r = EventId.safeParse(header.trim());
      if (!r.success) throw badRequest('Last-Event-ID', 'Last-Event-ID: not an event id (digits)');
      after = r.data; // the header wins: a browser's EventSource sends it on every reconnect
    }
    const filter: EventFilter = {
      ...(q.rowId !== undefined ? { rowId: q.rowId } : {}),
      ...(q.jobId !== undefined ? { jobId: q.jobId } : {}),
      ...(q.spreadsheetId !== undefined ? { spreadsheetId: q.spreadsheetId } : {}),
    };
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    c.header('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream

    return streamSSE(c, async (stream) => {
      let sub: Subscription | null = null;
      let done = false;
      const finish = () => {
        done = true;
        sub?.close();
      };
      stream.onAbort(finish);
      const shared = o.bus.shared;
      // a batch goes out in few writes (one per WRITE_CHUNK): a burst is not one syscall per event per client
      let last = after ?? (shared ? await shared.lastId() : o.bus.log.lastId());
      const sendAll = async (events: readonly ArchiverEvent[]) => {
        let chunk = '';
        for (const e of events) {
          if (e.id <= last) continue;
          chunk += frameOf(e);
          last = e.id;
          if (chunk.length >= WRITE_CHUNK) {
            if (done) return;
            await stream.write(chunk);
            chunk = '';
          }
        }
        if (chunk && !done) await stream.write(chunk);
      };
      const beat = setInterval(() => void stream.write(': heartbeat\n\n'), o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      try {
        await stream.write(': connected\n\n');
        if (shared) {
          const ac = new AbortController();
          stream.onAbort(() => ac.abort());
          for (let page = await shared.since(last, filter, PAGE); page.length; page = await shared.since(last, filter, PAGE)) {
            await sendAll(page);
            if (done || page.length < PAGE) break;
          }
          for await (const e of shared.follow(last, ac.signal)) {
            if (done) break;
            if (matches(e, filter)) await sendAll([e]);
          }
          return;
        }
        // replay the log page by page while the client reads
        for (;;) {
          const page = o.bus.log.since(last, filter, PAGE);
          if (page.length < PAGE) break;
          await sendAll(page);
          if (done) return;
        }
        // the rest of the log and the live subscription in one tick: nothing published in between
        const tail: ArchiverEvent[] = [];
        for (let from = last, page = o.bus.log.since(from, filter, PAGE); page.length; page = o.bus.log.since(from, filter, PAGE)) {
          tail.push(...page);
          from = page[page.length - 1]!.id;
        }
        sub = o.bus.subscribe(filter, o.maxQueued);
        await sendAll(tail);
        for (;;) {
          const batch = await sub.next();
          if (!batch || done) break;
          await sendAll(batch);
        }
        if (sub.overflowed) {
          o.log.warn({ filter, lastEventId: last }, 'SSE client too slow: disconnected (it resumes with Last-Event-ID)');
          outgoing?.destroy(); // frees the socket's buffered bytes now
        }
      } finally {
        clearInterval(beat);
        sub?.close();
      }
    });
  });
}
