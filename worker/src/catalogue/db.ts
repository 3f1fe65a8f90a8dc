/**
 * Opening the catalogue database (docs/design.md §6, §8): SQLite in the `ARCHIVER_DATA` file family
 * by default (better-sqlite3, WAL), or PostgreSQL through `pg` when `DATABASE_URL=postgres://…`
 * (the shape several workers share). Both behind Kysely.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ArchiveError } from '../errors.js';
import type { CatalogueDatabase } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

/** Where the catalogue lives: a SQLite file path (or `:memory:`) or a PostgreSQL URL. */
export type CatalogueTarget = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** An open catalogue database. */
export interface CatalogueDb {
  engine: Engine;
  db: Kysely<CatalogueDatabase>;
  /** where it is, without credentials */
  describe: string;
}

/** `postgres://user:secret@host:5432/db` → `postgres://host:5432/db` (never a password in logs or errors). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/**
 * Opens the database; does not migrate (see migrate.ts).
 * @throws ArchiveError('file_io') when the SQLite file cannot be opened.
 */
export async function openDb(target: CatalogueTarget): Promise<CatalogueDb> {
  if (target.engine === 'postgres') {
    const { default: pg } = await import('pg');
    // int8 (COUNT, SUM) as JavaScript numbers: sizes stay far below 2^53
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    // an idle client's error (server restart) must not crash the process; the next query reports it
    pool.on('error', () => undefined);
    return {
      engine: 'postgres',
      db: new Kysely<CatalogueDatabase>({ dialect: new PostgresDialect({ pool }) }),
      describe: describeUrl(target.url),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  let sqlite: InstanceType<typeof Database>;
  try {
    if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
    sqlite = new Database(target.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    // several processes (serve, run, rebuild) share the file: wait for a writer instead of failing
    sqlite.pragma('busy_timeout = 15000');
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    throw new ArchiveError('file_io', `cannot open the catalogue ${target.path}: ${(err as Error).message}`, { cause: err });
  }
  return {
    engine: 'sqlite',
    db: new Kysely<CatalogueDatabase>({ dialect: new SqliteDialect({ database: sqlite }) }),
    describe: target.path,
  };
}
