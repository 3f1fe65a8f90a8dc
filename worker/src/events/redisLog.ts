/**
 * The event log shared by every worker through a Redis Stream (docs/design.md §9, §6), so that
 * `/v1/events` on any worker can show every worker's events. `XADD … MAXLEN ~ 10000` keeps about
 * the newest 10,000 (https://redis.io/docs/latest/commands/xadd/: `~` lets Redis trim whole
 * nodes, cheaply).
 *
 * Ids stay small numbers, as the SQLite log's, so Last-Event-ID works the same: event id N (one
 * INCR shared by all workers, in the same Lua script as the XADD, so ids only increase in stream
 * order) is stream entry `0-N`.
 */
import type { Redis } from 'ioredis';
import { luaCommand, type LuaCall } from '../limits/redisScript.js';
import { DEFAULT_KEEP_COUNT, type EventLog } from './log.js';
import { matches, type ArchiverEvent, type EventFilter, type NewEvent } from './types.js';

/** KEYS stream, last id; ARGV maxlen, the event's JSON. Returns the new numeric id. */
const APPEND = `
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], string.format('0-%d', id), 'e', ARGV[2])
return id
`;

/** The stream entry id of numeric event id `n`. */
export function streamId(n: number): string {
  return `0-${Math.max(0, Math.floor(n))}`;
}

/** The numeric event id of stream entry id `0-N`. */
export function eventId(sid: string): number {
  return Number(sid.slice(sid.indexOf('-') + 1));
}

export interface RedisEventLogOptions {
  /** an ioredis client; the caller owns (and quits) it. `follow` opens its own blocking connection from it. */
  redis: Redis;
  /** key prefix; default `sheet-archiver:` */
  prefix?: string;
  /** about this many newest events are kept (default 10,000) */
  keepCount?: number;
  /** clock for `at`, ms since epoch; default Date.now */
  now?: () => number;
}

type StreamEntry = [id: string, fields: string[]];

export class RedisEventLog implements EventLog {
  readonly key: string;
  private readonly lastKey: string;
  private readonly redis: Redis;
  private readonly keepCount: number;
  private readonly now: () => number;
  private readonly appendCall: LuaCall;

  constructor(opts: RedisEventLogOptions) {
    this.redis = opts.redis;
    const prefix = opts.prefix ?? 'sheet-archiver:';
    this.key = `${prefix}events`;
    this.lastKey = `${prefix}events:last-id`;
    this.keepCount = Math.max(1, Math.floor(opts.keepCount ?? DEFAULT_KEEP_COUNT));
    this.now = opts.now ?? Date.now;
    this.appendCall = luaCommand(this.redis, 'sheetArchiverEventAppend', 2, APPEND);
  }

  /** @throws the ioredis error when Redis cannot be reached */
  async append(e: NewEvent): Promise<ArchiverEvent> {
    const at = new Date(this.now()).toISOString();
    const body = JSON.stringify({ ...e, at });
    const id = Number(await this.appendCall([this.key, this.lastKey], [this.keepCount, body]));
    return { ...e, id, at };
  }

  async since(afterId: number, filter: EventFilter = {}, limit = 500): Promise<ArchiverEvent[]> {
    const want = Math.max(0, Math.floor(limit));
    const out: ArchiverEvent[] = [];
    let from = `(${streamId(Math.max(0, afterId))}`;
    while (out.length < want) {
      const page = (await this.redis.xrange(this.key, from, '+', 'COUNT', Math.max(100, want))) as StreamEntry[];
      for (const entry of page) {
        const ev = toEvent(entry);
        if (matches(ev, filter)) out.push(ev);
        if (out.length >= want) break;
      }
      if (page.length === 0) break;
      from = `(${page.at(-1)![0]}`;
    }
    return out;
  }

  async lastId(): Promise<number> {
    return Number((await this.redis.get(this.lastKey)) ?? 0);
  }

  async count(): Promise<number> {
    return this.redis.xlen(this.key);
  }

  /**
   * Every event appended after `afterId`, by any worker, as it comes (XREAD BLOCK on a
   * connection of its own), until `signal` aborts. Resumes where it stopped after a Redis error.
   */
  async *follow(afterId: number, signal: AbortSignal, blockMs = 5000): AsyncGenerator<ArchiverEvent> {
    const conn = this.redis.duplicate();
    conn.on('error', () => undefined);
    const stop = () => conn.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    let last = streamId(Math.max(0, afterId));
    try {
      while (!signal.aborted) {
        let res: [string, StreamEntry[]][] | null;
        try {
          res = (await conn.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', this.key, last)) as [string, StreamEntry[]][] | null;
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
        for (const entry of res?.[0]?.[1] ?? []) {
          last = entry[0];
          yield toEvent(entry);
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      conn.disconnect();
    }
  }
}

function toEvent([sid, fields]: StreamEntry): ArchiverEvent {
  const i = fields.indexOf('e');
  const body = JSON.parse(fields[i + 1] ?? '{}') as Omit<ArchiverEvent, 'id'>;
  return { ...body, id: eventId(sid) };
}
