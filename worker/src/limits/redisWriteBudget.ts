/**
 * The Sheets write budget shared by every worker through Redis (docs/design.md §6): the sliding
 * window log of limits/writeBudget.ts as a sorted set per service account (score = grant time in
 * ms), pruned, counted and appended in one Lua script so that two workers can never both take the
 * last write of a window. Time comes from the Redis server (TIME), so the workers' clocks need not
 * agree.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaCommand, type LuaCall } from './redisScript.js';
import { checkPositive, DEFAULT_WRITES_PER_MINUTE, MINUTE_MS, type BudgetAnswer, type WriteBudget } from './writeBudget.js';

/** KEYS[1] the log; ARGV limit, windowMs, a unique member. Returns 0 when granted, else ms to wait. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], win)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + win - now)
`;

/** KEYS[1] the log; ARGV windowMs, the grant's member. Moves a grant still in the log to now. */
const SENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[2]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
`;

export interface RedisWriteBudgetOptions {
  /** an ioredis client; the caller owns (and quits) it */
  redis: Redis;
  /** who the quota belongs to: the service account's client_email (or any stable name); keys the log */
  account: string;
  /** writes per window; default 50 */
  limit?: number;
  /** window, ms; default 60 000 */
  windowMs?: number;
  /** key prefix; default `sheet-archiver:` */
  prefix?: string;
}

export class RedisWriteBudget implements WriteBudget {
  readonly limit: number;
  readonly windowMs: number;
  /** the sorted set holding the grants */
  readonly key: string;
  private readonly call: LuaCall;
  private readonly sentCall: LuaCall;
  private readonly self = randomUUID();
  private seq = 0;

  /** @throws RangeError when limit or windowMs is not a positive integer */
  constructor(opts: RedisWriteBudgetOptions) {
    this.limit = checkPositive('limit', opts.limit ?? DEFAULT_WRITES_PER_MINUTE);
    this.windowMs = checkPositive('windowMs', opts.windowMs ?? MINUTE_MS);
    this.key = `${opts.prefix ?? 'sheet-archiver:'}sheets-writes:${opts.account}`;
    this.call = luaCommand(opts.redis, 'sheetArchiverTakeWrite', 1, TAKE);
    this.sentCall = luaCommand(opts.redis, 'sheetArchiverWriteSent', 1, SENT);
  }

  /** @throws the ioredis error when Redis cannot be reached */
  async take(): Promise<BudgetAnswer> {
    const member = `${this.self}:${++this.seq}`;
    const wait = Number(await this.call([this.key], [this.limit, this.windowMs, member]));
    return wait === 0 ? { ok: true, grant: member } : { ok: false, retryInMs: wait };
  }

  /** @throws the ioredis error when Redis cannot be reached */
  async sent(grant: string): Promise<void> {
    await this.sentCall([this.key], [this.windowMs, grant]);
  }
}
