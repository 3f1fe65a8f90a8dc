/**
 * The status outbox shared by every worker through Redis (docs/design.md §6): an update accepted
 * by any worker is stored in Redis before `push` resolves, so it outlives that worker, and any
 * worker's reporter sends it.
 *
 * Layout (prefix P, default `sheet-archiver:outbox:`):
 * - `P e:<key>`   hash {id, u (the update's JSON), tries, at (first push, ms), nb (not before, ms)},
 *                 one per (spreadsheet, sheet, row, source) key (outbox.ts outboxKey);
 * - `P q:<sid>`   sorted set of a spreadsheet's keys by first push time;
 * - `P sids`      the spreadsheets with pending entries;
 * - `P lock:<sid>` who is sending that spreadsheet: `SET NX PX` with expiry
 *                 (https://redis.io/docs/latest/commands/set/), so a dead worker's claim lapses
 *                 and another worker sends its spreadsheet's updates;
 * - `P seq`       the id counter: a replaced entry gets a new id, so `ack` by id keeps a newer one.
 *
 * While this worker is alive it renews its claims (every lockMs / 3, for at most maxHoldMs), so a
 * slow write is never sent twice; when it dies the renewals stop and its claims lapse.
 *
 * Coalescing reuses mergeUpdates: `push` reads the entry, merges in JavaScript, and writes with a
 * compare-and-set script on the id (retried when another push got in between).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaCommand, type LuaCall } from '../limits/redisScript.js';
import type { OutboxEntry, StatusOutbox, StatusUpdate } from '../sheets/types.js';
import { mergeUpdates, outboxKey } from './outbox.js';

/** KEYS entry, seq, queue, sids; ARGV expected id ('' for none), json, now, key, sid. 0: conflict, else the new id. */
const PUSH = `
local cur = redis.call('HGET', KEYS[1], 'id')
if (cur or '') ~= ARGV[1] then return 0 end
local id = redis.call('INCR', KEYS[2])
if cur then
  redis.call('HSET', KEYS[1], 'id', id, 'u', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'id', id, 'u', ARGV[2], 'tries', 0, 'at', ARGV[3], 'nb', 0)
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
  redis.call('SADD', KEYS[4], ARGV[5])
end
return id
`;

/**
 * KEYS sids; ARGV prefix, token, lockMs, now, limit, start. Claims each spreadsheet it can (its
 * lock free or already ours), returns up to limit ready entries flattened as id, json, tries, at.
 * A claimed spreadsheet with nothing ready is released at once.
 */
const PEEK = `
local prefix, token, lockMs = ARGV[1], ARGV[2], ARGV[3]
local now, limit, start = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local out, n = {}, 0
local sids = redis.call('SMEMBERS', KEYS[1])
for i = 0, #sids - 1 do
  if n >= limit then break end
  local sid = sids[((start + i) % #sids) + 1]
  local q, lock = prefix .. 'q:' .. sid, prefix .. 'lock:' .. sid
  local holder = redis.call('GET', lock)
  local mine = false
  if holder == token then
    redis.call('PEXPIRE', lock, lockMs)
    mine = true
  elseif not holder then
    mine = redis.call('SET', lock, token, 'NX', 'PX', lockMs) and true or false
  end
  if mine then
    local got = 0
    local keys = redis.call('ZRANGE', q, 0, -1)
    if #keys == 0 then redis.call('SREM', KEYS[1], sid) end
    for _, k in ipairs(keys) do
      if n >= limit then break end
      local e = redis.call('HMGET', prefix .. 'e:' .. k, 'id', 'u', 'tries', 'at', 'nb')
      if e[1] and tonumber(e[5]) <= now then
        out[#out + 1] = e[1]
        out[#out + 1] = e[2]
        out[#out + 1] = e[3]
        out[#out + 1] = e[4]
        n = n + 1
        got = got + 1
      end
    end
    if got == 0 then redis.call('DEL', lock) end
  end
end
return out
`;

/**
 * KEYS sids; ARGV prefix, token, mode (ack | defer | release), notBefore, count, then count × (key,
 * sid, id), then the spreadsheets to release. Only entries whose id is unchanged since peek are
 * touched; a lock is deleted only when it is still ours.
 */
const SETTLE = `
local prefix, token, mode, nb = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local count = tonumber(ARGV[5])
local i = 6
for _ = 1, count do
  local k, sid, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local ek = prefix .. 'e:' .. k
  if mode ~= 'release' and redis.call('HGET', ek, 'id') == id then
    if mode == 'ack' then
      redis.call('DEL', ek)
      redis.call('ZREM', prefix .. 'q:' .. sid, k)
    else
      redis.call('HINCRBY', ek, 'tries', 1)
      redis.call('HSET', ek, 'nb', nb)
    end
  end
end
for j = i, #ARGV do
  local sid = ARGV[j]
  local lock = prefix .. 'lock:' .. sid
  if redis.call('GET', lock) == token then redis.call('DEL', lock) end
  if redis.call('ZCARD', prefix .. 'q:' .. sid) == 0 then redis.call('SREM', KEYS[1], sid) end
end
return 0
`;

/** ARGV prefix, token, lockMs, then spreadsheet ids: extends the claims that are still ours. */
const RENEW = `
for i = 4, #ARGV do
  local lock = ARGV[1] .. 'lock:' .. ARGV[i]
  if redis.call('GET', lock) == ARGV[2] then redis.call('PEXPIRE', lock, ARGV[3]) end
end
return 0
`;

/** KEYS sids; ARGV prefix. Pending entries over every spreadsheet. */
const SIZE = `
local n = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('ZCARD', ARGV[1] .. 'q:' .. sid) end
return n
`;

export interface RedisOutboxOptions {
  /** an ioredis client; the caller owns (and quits) it */
  redis: Redis;
  /** key prefix; default `sheet-archiver:outbox:` */
  prefix?: string;
  /**
   * how long a claim on a spreadsheet lasts without renewal, ms; default 60 000: a worker that
   * dies while sending holds its spreadsheets this long.
   */
  lockMs?: number;
  /**
   * stop renewing a claim after this long, ms; default 10 × lockMs: a write hung this long lets
   * another worker take the spreadsheet over.
   */
  maxHoldMs?: number;
  /** clock for first-push and backoff times, ms since epoch; default Date.now */
  now?: () => number;
  /** start of the spreadsheet rotation in peek, so no spreadsheet starves; default Math.random */
  random?: () => number;
}

export class RedisStatusOutbox implements StatusOutbox {
  readonly prefix: string;
  /** this outbox's claim token: one per instance (per worker) */
  readonly token = randomUUID();
  private readonly redis: Redis;
  private readonly lockMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly pushCall: LuaCall;
  private readonly peekCall: LuaCall;
  private readonly settleCall: LuaCall;
  private readonly sizeCall: LuaCall;
  private readonly renewCall: LuaCall;
  private readonly maxHoldMs: number;
  /** spreadsheets this outbox has claimed → when (ms, Date.now) */
  private readonly claimed = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(opts: RedisOutboxOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? 'sheet-archiver:outbox:';
    this.lockMs = Math.max(1, Math.floor(opts.lockMs ?? 60_000));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.pushCall = luaCommand(this.redis, 'sheetArchiverOutboxPush', 4, PUSH);
    this.peekCall = luaCommand(this.redis, 'sheetArchiverOutboxPeek', 1, PEEK);
    this.settleCall = luaCommand(this.redis, 'sheetArchiverOutboxSettle', 1, SETTLE);
    this.sizeCall = luaCommand(this.redis, 'sheetArchiverOutboxSize', 1, SIZE);
    this.renewCall = luaCommand(this.redis, 'sheetArchiverOutboxRenew', 0, RENEW);
    this.maxHoldMs = Math.max(this.lockMs, Math.floor(opts.maxHoldMs ?? 10 * this.lockMs));
  }

  /** Keeps the claims alive while this process runs (the timer does not hold the process). */
  private track(sids: Iterable<string>): void {
    const t = Date.now();
    for (const sid of sids) if (!this.claimed.has(sid)) this.claimed.set(sid, t);
    if (this.claimed.size === 0 || this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.lockMs / 3)));
    this.renewTimer.unref?.();
  }

  private untrack(sids: Iterable<string>): void {
    for (const sid of sids) this.claimed.delete(sid);
    if (this.claimed.size === 0 && this.renewTimer) {
      clearInterval(this.renewTimer);
      this.renewTimer = null;
    }
  }

  private async renew(): Promise<void> {
    const t = Date.now();
    const sids = [...this.claimed].filter(([, since]) => t - since < this.maxHoldMs).map(([sid]) => sid);
    if (sids.length === 0) return;
    try {
      await this.renewCall([], [this.prefix, this.token, this.lockMs, ...sids]);
    } catch {
      // Redis away: the claims lapse, another worker (or this one, later) sends those updates
    }
  }

  private get sids(): string {
    return `${this.prefix}sids`;
  }

  /**
   * Stores an update in Redis, merged into a pending one for the same key (mergeUpdates).
   * @throws the ioredis error when Redis cannot be reached; Error after 100 lost races on one key
   */
  async push(update: StatusUpdate): Promise<void> {
    const key = outboxKey(update);
    const ek = `${this.prefix}e:${key}`;
    for (let attempt = 0; attempt < 100; attempt++) {
      const [id, json] = await this.redis.hmget(ek, 'id', 'u');
      const merged = id && json ? mergeUpdates(JSON.parse(json) as StatusUpdate, update) : update;
      const got = Number(
        await this.pushCall(
          [ek, `${this.prefix}seq`, `${this.prefix}q:${update.spreadsheetId}`, this.sids],
          [id ?? '', JSON.stringify(merged), this.now(), key, update.spreadsheetId],
        ),
      );
      if (got > 0) return;
    }
    throw new Error(`status outbox: could not store the update for row ${update.rowId}: too many concurrent pushes`);
  }

  /**
   * Ready entries of the spreadsheets this outbox could claim (free, or already its own), at most
   * `limit`. The claims last `lockMs` or until ack/defer/release.
   */
  async peek(limit: number, now: number = this.now()): Promise<OutboxEntry[]> {
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return [];
    const flat = (await this.peekCall(
      [this.sids],
      [this.prefix, this.token, this.lockMs, now, n, Math.floor(this.random() * 1e9)],
    )) as string[];
    const out: OutboxEntry[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4)
      out.push({
        id: Number(flat[i]),
        update: JSON.parse(flat[i + 1]!) as StatusUpdate,
        tries: Number(flat[i + 2]),
        createdAt: Number(flat[i + 3]),
      });
    this.track(out.map((e) => e.update.spreadsheetId));
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }

  /** Removes delivered entries not replaced since peek, and releases their spreadsheets. */
  ack(entries: OutboxEntry[]): Promise<void> {
    return this.settle('ack', entries, 0);
  }

  /** Counts a failed try on entries not replaced since peek, hides them for `delayMs`, releases their spreadsheets. */
  defer(entries: OutboxEntry[], delayMs: number): Promise<void> {
    return this.settle('defer', entries, this.now() + Math.max(0, delayMs));
  }

  /** Releases the entries' spreadsheets; the entries stay as they are. */
  release(entries: OutboxEntry[]): Promise<void> {
    return this.settle('release', entries, 0);
  }

  /** Pending entries over every spreadsheet, ready or waiting. */
  async size(): Promise<number> {
    return Number(await this.sizeCall([this.sids], [this.prefix]));
  }

  private async settle(mode: 'ack' | 'defer' | 'release', entries: OutboxEntry[], notBefore: number): Promise<void> {
    if (entries.length === 0) return;
    const args: (string | number)[] = [this.prefix, this.token, mode, notBefore, mode === 'release' ? 0 : entries.length];
    if (mode !== 'release') for (const e of entries) args.push(outboxKey(e.update), e.update.spreadsheetId, String(e.id));
    const sids = new Set(entries.map((e) => e.update.spreadsheetId));
    args.push(...sids);
    try {
      await this.settleCall([this.sids], args);
    } finally {
      this.untrack(sids);
    }
  }
}
