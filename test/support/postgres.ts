/**
 * Debian's PostgreSQL 15 server for tests and benchmarks (docs/design.md §7): `initdb` into a
 * temporary data folder, `pg_ctl start` on a free 127.0.0.1 port (socket in the same folder, so
 * nothing is shared with a system cluster), `pg_ctl stop -m fast` and removal afterwards.
 * initdb refuses to run as root, so as root every command runs as the `postgres` user through
 * `runuser`, with the folder chowned to it. Trust authentication on 127.0.0.1 only.
 *
 * When the binaries are missing `postgresAvailable()` says why, for `describe.skipIf`.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, serverDir } from './servers.js';

/** Where Debian installs the server; PG_BIN overrides. */
export const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** null when a server can be started here, else the reason it cannot. */
export function postgresUnavailable(): string | null {
  for (const b of ['initdb', 'pg_ctl', 'postgres'])
    if (!existsSync(join(PG_BIN, b)))
      return `PostgreSQL server binaries not found in ${PG_BIN} (apt-get install postgresql-15, or set PG_BIN)`;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user for initdb (it refuses root)';
    }
  }
  return null;
}

export interface PostgresHandle {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** the URL of another database on this server */
  urlOf(database: string): string;
  /** creates a database and returns its URL */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Runs a server binary, as the postgres user when we are root. */
function runPg(bin: string, args: string[]): string {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/**
 * Starts a throw-away server. fsync is off: the tests need a database, not durability.
 * @throws Error with the server's log when it does not start
 */
export async function startPostgres(): Promise<PostgresHandle> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const { dir } = serverDir('sa-pg-');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  runPg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  try {
    runPg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  } catch (err) {
    let log = '';
    try {
      log = execFileSync('cat', [join(dir, 'server.log')], { encoding: 'utf8' });
    } catch {
      /* no log */
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
  }
  const urlOf = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  let stopped = false;
  return {
    port,
    url: urlOf('postgres'),
    urlOf,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        runPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
