/**
 * A client of the worker's signed `GET /v1/events` stream (docs/design.md §9), for `watch`,
 * tests and benchmarks. Parses text/event-stream as the WHATWG HTML "server-sent events"
 * section defines it (fields `id`, `event`, `data`; `:` comments; a blank line ends an event),
 * signs every (re)connection, and reconnects with `Last-Event-ID` so nothing is missed.
 */
import { SIGNATURE_HEADER } from '../../../shared/signature.js';
import { signRequest } from '../server/signature.js';
import type { ArchiverEvent, EventFilter } from './types.js';

/** One parsed SSE message. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Incremental text/event-stream parser: feed it chunks, get whole messages.
 * Comments (heartbeats) are reported through `onComment`.
 */
export class SseParser {
  private buf = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  constructor(
    private readonly onMessage: (m: SseMessage) => void,
    private readonly onComment: (text: string) => void = () => {},
  ) {}

  push(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return this.onComment(line.slice(1).trim());
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

export interface WatchOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  secret: string;
  filter?: EventFilter;
  /** resume after this id; default: live events only */
  lastEventId?: number;
  signal?: AbortSignal;
  onEvent: (e: ArchiverEvent) => void;
  /** a connection opened (first time or again) */
  onOpen?: (info: { reconnect: boolean }) => void;
  /** a connection failed or ended; it is retried after `retryMs` */
  onError?: (err: Error) => void;
  onHeartbeat?: () => void;
  /** wait before reconnecting, ms (default 1000) */
  retryMs?: number;
  /** give up after this many failed connections in a row (default: never) */
  maxFailures?: number;
}

/** A non-retryable answer (401, 400): reconnecting would not help. */
export class EventStreamRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EventStreamRefused';
  }
}

/** The signed path and query of `/v1/events` for a filter (and an optional `lastEventId`). */
export function eventsPath(filter: EventFilter = {}): string {
  const q = new URLSearchParams();
  for (const k of ['rowId', 'jobId', 'spreadsheetId'] as const) if (filter[k] !== undefined) q.set(k, filter[k]!);
  const s = q.toString();
  return `/v1/events${s ? `?${s}` : ''}`;
}

/**
 * Follows the stream until `signal` aborts, reconnecting with the last id seen.
 * @returns the last event id seen.
 * @throws EventStreamRefused on a 4xx answer (bad signature, bad filter); other failures are retried.
 */
export async function watchEvents(o: WatchOptions): Promise<number | undefined> {
  let last = o.lastEventId;
  let failures = 0;
  let opened = false;
  const path = eventsPath(o.filter);
  while (!o.signal?.aborted) {
    try {
      const headers: Record<string, string> = { [SIGNATURE_HEADER]: signRequest(o.secret, 'GET', path), accept: 'text/event-stream' };
      if (last !== undefined) headers['Last-Event-ID'] = String(last);
      const res = await fetch(o.baseUrl.replace(/\/$/, '') + path, { headers, ...(o.signal ? { signal: o.signal } : {}) });
      if (res.status >= 400 && res.status < 500) {
        const body = await res.text();
        let msg = body;
        try {
          msg = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          /* not JSON */
        }
        throw new EventStreamRefused(res.status, `${res.status}: ${msg}`);
      }
      if (!res.ok || !res.body) throw new Error(`${res.status} from ${path}`);
      o.onOpen?.({ reconnect: opened });
      opened = true;
      failures = 0;
      const parser = new SseParser(
        (m) => {
          if (m.id !== undefined && /^[0-9]+$/.test(m.id)) last = Number(m.id);
          if (m.event === 'error') return;
          o.onEvent(JSON.parse(m.data) as ArchiverEvent);
        },
        () => o.onHeartbeat?.(),
      );
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
      throw new Error('the worker closed the stream');
    } catch (err) {
      if (err instanceof EventStreamRefused) throw err;
      if (o.signal?.aborted) break;
      failures++;
      o.onError?.(err as Error);
      if (o.maxFailures !== undefined && failures >= o.maxFailures) throw err;
      await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
    }
  }
  return last;
}
