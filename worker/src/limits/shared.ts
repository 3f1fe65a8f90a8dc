/**
 * Where the limits and the status outbox live (docs/design.md §6): in this process and its SQLite
 * file (the embedded default), or in Redis when REDIS_URL is set, shared by every worker.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { RedisWriteBudget } from './redisWriteBudget.js';
import { LocalWriteBudget, type WriteBudget } from './writeBudget.js';

/**
 * The name the Sheets quota is counted under: the service account's `client_email` from its key
 * file (not a secret), else `default` (a fixed access token, or no key: one budget per Redis).
 */
export function sheetsAccountName(keyFile: string | undefined): string {
  if (!keyFile) return 'default';
  try {
    const email = (JSON.parse(readFileSync(keyFile, 'utf8')) as { client_email?: unknown }).client_email;
    return typeof email === 'string' && email ? email : 'default';
  } catch {
    return 'default';
  }
}

/**
 * Opens the shared Redis client: it reconnects with backoff by itself (ioredis), and its errors
 * are logged without the URL (it may hold a password).
 */
export function openSharedRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message }, 'Redis unreachable; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('Redis reachable again');
    down = false;
  });
  return redis;
}

/** The write budget: in Redis when given a client (all workers), else in this process. */
export function createWriteBudget(o: { limit: number; account: string; redis?: Redis | null; windowMs?: number }): WriteBudget {
  const windowMs = o.windowMs ?? 60_000;
  return o.redis
    ? new RedisWriteBudget({ redis: o.redis, account: o.account, limit: o.limit, windowMs })
    : new LocalWriteBudget({ limit: o.limit, windowMs });
}
