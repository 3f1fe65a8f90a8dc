/**
 * The Lua scripts of the BullMQ backend's own keys (keys.ts). Each runs atomically in Redis, so
 * an idempotent enqueue cannot race another worker's (design §3) and a job's record, its status
 * indexes, counters and idempotency key always change together. Each is written to use few
 * commands (Redis counts every call inside a script in INFO commandstats; target ≤ 60 per job). ioredis sends them by EVALSHA.
 */
import type { Redis } from 'ioredis';

/**
 * enqueue: ARGV[1] key base (`<prefix>:jobs:`), ARGV[2] now (ms), then per job 7 values:
 * idempotency key, job id, lane, lane queue name ('' when the lane is known already), kind,
 * stored JSON, its `jobs:counts` field ('' when not counted, readIndexes.ts counterField). A new job also goes to `jobs:ready` at now. Per job answers 0 when created, else the id of the open job holding the key (one
 * earlier in the same call included). The ids created go to `pending` as one member (`id,id,…`)
 * until their BullMQ jobs exist. Only kinds other than `archive` are counted (archive = the rest).
 * An idempotency key stays after its job finished (deleting
 * it would cost a command per job); it counts only while the record's status field `t` is open. Status counts are the sizes of the `st:` sets, so only the
 * kind has a counter.
 */
const ENQUEUE = `
local base = ARGV[1]
local now = ARGV[2]
local out = {}
local created = {}
local queued, ready = {}, {}
-- one INCRBY for the call: a twin leaves its seq unused (seqs only order jobs)
local n = (#ARGV - 2) / 7
local seq = redis.call('INCRBY', base .. 'seq', n) - n
local open = {queued = true, downloading = true, uploading = true, retrying = true}
for i = 3, #ARGV, 7 do
  local id = ARGV[i + 1]
  local idem = base .. 'idem:' .. ARGV[i]
  local holder = redis.call('SET', idem, id, 'NX', 'GET')
  if holder and open[redis.call('HGET', base .. 'rec:' .. holder, 't')] then
    out[#out + 1] = holder
  else
    if holder then redis.call('SET', idem, id) end
    seq = seq + 1
    redis.call('HSET', base .. 'rec:' .. id, 'j', ARGV[i + 5], 's', seq, 't', 'queued')
    queued[#queued + 1] = seq
    queued[#queued + 1] = id
    ready[#ready + 1] = now
    ready[#ready + 1] = id
    if ARGV[i + 6] ~= '' then redis.call('HINCRBY', base .. 'counts', ARGV[i + 6], 1) end
    if ARGV[i + 4] ~= 'archive' then redis.call('HINCRBY', base .. 'stats', 'k:' .. ARGV[i + 4], 1) end
    if ARGV[i + 3] ~= '' then redis.call('HSET', base .. 'lanes', ARGV[i + 2], ARGV[i + 3]) end
    created[#created + 1] = id
    out[#out + 1] = 0
  end
end
-- one ZADD per set and 500 jobs (unpack's stack limit), not one per job
for c = 1, #queued, 1000 do
  local last = math.min(c + 999, #queued)
  redis.call('ZADD', base .. 'st:queued', unpack(queued, c, last))
  redis.call('ZADD', base .. 'ready', unpack(ready, c, last))
end
if #created > 0 then redis.call('ZADD', base .. 'pending', now, table.concat(created, ',')) end
return out
`;

/**
 * commit (compare-and-set of one job): KEYS[1] rec, KEYS[2] stats, KEYS[3] idem key, KEYS[4] pending.
 * ARGV: 1 the JSON read before, 2 the new JSON, 3 old status, 4 new status, 5 job id, 6 key base,
 * 7 idempotency: `set` (the job reopens: fails with the twin's id when another open job holds
 * the key) or ``, 8 a completed job's duration in ms or
 * ``, 9 now when the job needs a fresh BullMQ job (goes to `pending`) or ``, 10 the job's seq,
 * then the read-index operations as triples (readIndexes.ts indexOps): `a` suffix score → ZADD,
 * `r` suffix → ZREM, `c` field delta → HINCRBY `jobs:counts`.
 * Answers 1 when written, 0 when the job changed meanwhile (read again), or the twin's id.
 */
const COMMIT = `
if redis.call('HGET', KEYS[1], 'j') ~= ARGV[1] then return 0 end
local id = ARGV[5]
if ARGV[7] == 'set' then
  local t = redis.call('SET', KEYS[3], id, 'NX', 'GET')
  if t and t ~= id then
    local st = redis.call('HGET', ARGV[6] .. 'rec:' .. t, 't')
    if st == 'queued' or st == 'downloading' or st == 'uploading' or st == 'retrying' then return t end
    redis.call('SET', KEYS[3], id)
  end
end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 't', ARGV[4])
if ARGV[3] ~= ARGV[4] then
  redis.call('ZREM', ARGV[6] .. 'st:' .. ARGV[3], id)
  redis.call('ZADD', ARGV[6] .. 'st:' .. ARGV[4], ARGV[10], id)
end
if ARGV[8] ~= '' then redis.call('HINCRBY', KEYS[2], 'dsum', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[4], ARGV[9], id) end
for i = 11, #ARGV, 3 do
  local op = ARGV[i]
  if op == 'a' then redis.call('ZADD', ARGV[6] .. ARGV[i + 1], ARGV[i + 2], id)
  elseif op == 'r' then redis.call('ZREM', ARGV[6] .. ARGV[i + 1], id)
  else redis.call('HINCRBY', ARGV[6] .. 'counts', ARGV[i + 1], ARGV[i + 2]) end
end
return 1
`;

/**
 * pauseLane: KEYS[1] lanes hash, KEYS[2] lanesince hash; ARGV untilMs, now, reason, lane, lane
 * queue name. A pause that starts anew (none, or the last one over) records its start in KEYS[2]. The pause is
 * the hash field `!p:<lane>` = `<untilMs>|<reason>` ('!' is in no host name, so no lane clashes);
 * it ends by itself because every reader compares untilMs with now. A later pause extends, an
 * earlier one is ignored. Answers 1 when set.
 */
const PAUSE_LANE = `
local untilMs = tonumber(ARGV[1])
if untilMs <= tonumber(ARGV[2]) then return 0 end
local v = redis.call('HGET', KEYS[1], '!p:' .. ARGV[4])
if v and tonumber(string.match(v, '^(%d+)')) >= untilMs then return 0 end
if not v or tonumber(string.match(v, '^(%d+)')) <= tonumber(ARGV[2]) then redis.call('HSET', KEYS[2], ARGV[4], ARGV[2]) end
redis.call('HSET', KEYS[1], '!p:' .. ARGV[4], ARGV[1] .. '|' .. ARGV[3], ARGV[4], ARGV[5])
return 1
`;

/**
 * lanes: KEYS[1] lanes hash (lane → BullMQ queue name, and the pauses); ARGV[1] BullMQ key
 * prefix (`<prefix>:`), ARGV[2] now. Answers [lane, pause value or '', order, …], where order
 * (compared as text) says what the lane's next job is, so lease() can take the lanes in the
 * contract's order across lanes: `0` a job at the front of BullMQ's wait list (an expired lease,
 * a released job), then `<priority>:<BullMQ job id>` for the head of the prioritized set (manual
 * retries, then the oldest job: the ids start with the job id, a ULID, so they sort by creation
 * time), `9` a due delayed job (a retry), '' nothing to take. Reads BullMQ's own keys (wait,
 * prioritized, delayed) without changing them; 1 to 3 commands per lane.
 */
const LANES = `
local out = {}
local flat = redis.call('HGETALL', KEYS[1])
local queues, pauses = {}, {}
for i = 1, #flat, 2 do
  local f = flat[i]
  if string.sub(f, 1, 3) == '!p:' then pauses[string.sub(f, 4)] = flat[i + 1]
  else queues[#queues + 1] = f; queues[#queues + 1] = flat[i + 1] end
end
local dueMax = (tonumber(ARGV[2]) + 1) * 4096 - 1
for i = 1, #queues, 2 do
  local lane = queues[i]
  local qk = ARGV[1] .. queues[i + 1] .. ':'
  local order = ''
  if redis.call('LLEN', qk .. 'wait') > 0 then
    order = '0'
  else
    local head = redis.call('ZRANGE', qk .. 'prioritized', 0, 0, 'WITHSCORES')
    if head[1] then
      order = math.floor(tonumber(head[2]) / 4294967296) .. ':' .. head[1]
    elseif redis.call('ZRANGEBYSCORE', qk .. 'delayed', 0, dueMax, 'LIMIT', 0, 1)[1] then
      order = '9'
    end
  end
  out[#out + 1] = lane
  out[#out + 1] = pauses[lane] or ''
  out[#out + 1] = order
end
return out
`;

/** The scripts as methods of a client (ioredis defineCommand). */
export interface ScriptClient extends Redis {
  saEnqueue(...args: string[]): Promise<(0 | string)[]>;
  saCommit(k1: string, k2: string, k3: string, k4: string, ...args: string[]): Promise<0 | 1 | string>;
  saPauseLane(k1: string, k2: string, ...args: string[]): Promise<0 | 1>;
  saLanes(k1: string, bullPrefix: string, now: string): Promise<string[]>;
}

/** Registers the scripts on `redis` (idempotent) and returns it typed with them. */
export function withScripts(redis: Redis): ScriptClient {
  const c = redis as ScriptClient;
  if (typeof c.saEnqueue !== 'function') {
    redis.defineCommand('saEnqueue', { numberOfKeys: 0, lua: ENQUEUE });
    redis.defineCommand('saCommit', { numberOfKeys: 4, lua: COMMIT });
    redis.defineCommand('saPauseLane', { numberOfKeys: 2, lua: PAUSE_LANE });
    redis.defineCommand('saLanes', { numberOfKeys: 1, lua: LANES });
  }
  return c;
}
