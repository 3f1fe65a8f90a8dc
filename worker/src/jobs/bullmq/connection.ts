/**
 * Redis connections of the BullMQ backend and what "Redis is away" means for callers
 * (docs/design.md §6): producer and admin calls fail fast (no offline queue, one try per
 * command, a deadline per call) with QueueError 'unavailable', which the API answers with 503;
 * the connections themselves keep reconnecting with capped backoff, so the backend recovers by
 * itself once Redis is back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { QueueError, isQueueError } from '../errors.js';

/** Reconnect delay after `times` failed tries, ms: 100, 200, … capped at 2 s. */
export const reconnectDelayMs = (times: number): number => Math.min(times * 100, 2000);

/**
 * Options for a connection from a `redis://[user:password@]host:port[/db]` (or `rediss://`) URL.
 * @throws QueueError 'invalid_argument' (field `REDIS_URL`) for anything else
 */
export function redisOptionsOf(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError('invalid_argument', 'REDIS_URL is not a URL (expected redis://host:port)', { field: 'REDIS_URL' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new QueueError('invalid_argument', `REDIS_URL must start with redis:// or rediss://, not ${u.protocol}//`, {
      field: 'REDIS_URL',
    });
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    retryStrategy: reconnectDelayMs,
  };
}

/** The fail-fast client for the backend's own commands and BullMQ's Queue objects. */
export function fastClient(url: string, commandTimeoutMs: number): Redis {
  return new Redis({
    ...redisOptionsOf(url),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(1000, commandTimeoutMs),
  });
}

/** An error that means "the store cannot be reached" (not a bug or a refused command). */
function isConnectionError(err: unknown, client: Redis): boolean {
  if (client.status !== 'ready') return true;
  const m = err instanceof Error ? err.message : String(err);
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|max retries|timed out after/i.test(
    m,
  );
}

/**
 * Runs `fn` against Redis with a deadline: rejects at once with QueueError 'unavailable' when the
 * client is not connected, and when `fn` fails on the connection or outlives `timeoutMs`.
 * QueueErrors and other errors pass through unchanged.
 */
export async function guarded<T>(client: Redis, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const unavailable = (why: string) => new QueueError('unavailable', `job store (Redis) unavailable during ${what}: ${why}`);
  if (client.status !== 'ready') throw unavailable(`connection ${client.status}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(unavailable(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (isQueueError(err)) throw err;
    if (isConnectionError(err, client)) throw unavailable(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
