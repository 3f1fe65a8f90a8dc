/**
 * Debian's redis-server for tests and benchmarks (docs/design.md §6): started on a free 127.0.0.1
 * port with its own temporary folder, stopped and removed afterwards. Without persistence by
 * default (the tests need a server, not durability); `{ appendonly: true }` writes every command to
 * the AOF before answering (`appendfsync always`), so `kill()` then `restart()` (same port, same
 * folder) shows what survives a Redis crash. `redisUnavailable()` says why one cannot start, for
 * `describe.skipIf`. (A minimal helper for the shared outbox, write budget and event log tests;
 * the queue's test/support/redis.ts may replace it.)
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
  /** SIGKILL, as a crash: the port stops answering */
  kill(): Promise<void>;
  /** starts the server again on the same port and folder (after kill) */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a throw-away server. @throws Error with its output when it does not answer within 10 s */
export async function startRedis(opts: { appendonly?: boolean } = {}): Promise<RedisHandle> {
  const why = redisUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'sa-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push(...(opts.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let proc: ChildProcess;

  const launch = async (): Promise<void> => {
    let output = '';
    proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        // a restarted server answers LOADING until its AOF is read back
        await c.ping();
        c.disconnect();
        return;
      } catch {
        c.disconnect();
        if (proc.exitCode !== null || Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`redis-server did not start on port ${port}:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    port,
    url,
    client: () => new Redis(url),
    kill: () => exit('SIGKILL'),
    restart: launch,
    async stop() {
      if (stopped) return;
      stopped = true;
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
