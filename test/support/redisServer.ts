/**
 * Debian's redis-server for tests and benchmarks (docs/design.md §6): started on a free 127.0.0.1
 * port with its own temporary folder (no persistence: the tests need a server, not durability),
 * stopped and removed afterwards. `redisUnavailable()` says why one cannot start, for
 * `describe.skipIf`. (A minimal helper for the shared outbox and write budget tests; the queue's
 * test/support/redis.ts may replace it.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './postgres.js';

/** Where Debian installs the server; REDIS_SERVER overrides. */
export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** null when a server can be started here, else the reason it cannot. */
export function redisUnavailable(): string | null {
  return existsSync(REDIS_SERVER) ? null : `redis-server not found at ${REDIS_SERVER} (apt-get install redis-server, or set REDIS_SERVER)`;
}

export interface RedisHandle {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** a new client (the caller quits it) */
  client(): Redis;
  stop(): Promise<void>;
}

/** Starts a throw-away server. @throws Error with its output when it does not answer within 10 s */
export async function startRedis(): Promise<RedisHandle> {
  const why = redisUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'sa-redis-'));
  const port = await freePort();
  let output = '';
  const proc: ChildProcess = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`redis-server did not start on port ${port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let stopped = false;
  return {
    port,
    url,
    client: () => new Redis(url),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
