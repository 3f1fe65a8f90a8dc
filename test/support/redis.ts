/**
 * Debian's redis-server for tests and benchmarks (docs/design.md §6): one server per call on a
 * free 127.0.0.1 port with its own data folder, configured the way the BullMQ backend needs it
 * in production (`appendonly yes`, `maxmemory-policy noeviction`) and with `appendfsync always`,
 * so a kill -9 loses no acknowledged write. No RDB snapshots (`save ""`).
 *
 * stop() shuts it down, kill9() kills it hard, restart() starts it again on the same port and
 * folder (the append-only file brings the data back); remove() stops it and deletes the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, serverDir } from './servers.js';

/** Where Debian installs the server; REDIS_SERVER overrides. */
export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** null when a server can be started here, else the reason it cannot (for `describe.skipIf`). */
export function redisUnavailable(): string | null {
  return existsSync(REDIS_SERVER) ? null : `${REDIS_SERVER} not found: install Debian's redis-server: apt-get install redis-server`;
}

export interface RedisHandle {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** the data folder (append-only file and log) */
  dir: string;
  /** a new ioredis client of this server (the caller quits it) */
  client(): Redis;
  /** SIGTERM and wait for the exit (the server flushes the AOF). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: what a crash looks like. */
  kill9(): Promise<void>;
  /** Starts the server again on the same port and folder; resolves once PING answers. */
  restart(): Promise<void>;
  /** stop() and delete the folder. */
  remove(): Promise<void>;
}

/** Resolves true when `+PONG` comes back from 127.0.0.1:port within 500 ms. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const cp of live) cp.kill('SIGKILL');
});

/**
 * Starts a throw-away redis-server.
 * @throws Error when redis-server is missing, or with its log when it does not answer within 15 s
 */
export async function startRedis(): Promise<RedisHandle> {
  const why = redisUnavailable();
  if (why) throw new Error(why);
  const { dir, remove } = serverDir('sa-redis-');
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
  ]; // prettier-ignore
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const cp = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    live.add(cp);
    cp.once('exit', () => live.delete(cp));
    child = cp;
    const end = Date.now() + 15_000;
    while (!(await pings(port))) {
      if (cp.exitCode !== null || Date.now() > end) {
        cp.kill('SIGKILL');
        let log = '';
        try {
          log = readFileSync(join(dir, 'redis.log'), 'utf8').slice(-2000);
        } catch {
          /* no log */
        }
        throw new Error(`redis-server did not answer PING on port ${port}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const cp = child;
    child = null;
    if (!cp || cp.exitCode !== null || cp.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      cp.once('exit', () => resolve());
      cp.kill(signal);
    });
  };

  try {
    await launch();
  } catch (err) {
    remove();
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    client: () => new Redis(`redis://127.0.0.1:${port}`),
    stop: () => halt('SIGTERM'),
    kill9: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch();
    },
    remove: async () => {
      await halt('SIGTERM');
      remove();
    },
  };
}
