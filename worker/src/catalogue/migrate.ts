/**
 * Versioned catalogue migrations, run at start-up. Safe when several processes start at once:
 * the whole run is one transaction that first takes a lock — `BEGIN IMMEDIATE` on SQLite (the
 * write lock, waited for through busy_timeout), `pg_advisory_xact_lock` on PostgreSQL — then reads
 * which versions are applied, so a second process waits and finds nothing left to do. DDL is
 * transactional on both engines, so a failed migration leaves the previous version intact.
 */
import { sql, type Kysely } from 'kysely';
import { ArchiveError } from '../errors.js';
import type { CatalogueDb, Engine } from './db.js';

/** One migration: `up` runs inside the locked transaction. */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>, engine: Engine): Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Any constant works; this one spells "sheet-archiver catalogue" in no particular encoding. */
const PG_LOCK_KEY = 5_172_023_001;

/** The migrations, oldest first. Never edit a released one: add the next version. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'people, assets, sessions, metadata intents',
    async up(db, engine) {
      const big = engine === 'postgres' ? 'bigint' : 'integer';
      await db.schema
        .createTable('people')
        .addColumn('person_id', 'text', (c) => c.primaryKey())
        .addColumn('spreadsheet_id', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('type', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('sheet_id', 'integer')
        .addColumn('sheet_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('row_number', 'integer')
        .addColumn('links', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('search', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('facts_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('people_sheet_row', ['spreadsheet_id', 'row_id'])
        .execute();
      await db.schema.createIndex('people_row_id').on('people').column('row_id').execute();
      await db.schema
        .createTable('assets')
        .addColumn('asset_id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull().references('people.person_id'))
        .addColumn('spreadsheet_id', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('media_id', 'text', (c) => c.notNull())
        .addColumn('link', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('object_key', 'text', (c) => c.notNull().unique())
        .addColumn('metadata_key', 'text', (c) => c.notNull())
        .addColumn('storage_url', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('size', big, (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('md5', 'text')
        .addColumn('revision', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('stored'))
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('title', 'text')
        .addColumn('uploader', 'text')
        .addColumn('duration', 'real')
        .addColumn('media', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('search', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('archived_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      await db.schema.createIndex('assets_person').on('assets').columns(['person_id', 'source', 'media_id']).execute();
      await db.schema.createIndex('assets_row_id').on('assets').column('row_id').execute();
      await db.schema.createIndex('assets_media_id').on('assets').column('media_id').execute();
      await db.schema.createIndex('assets_metadata_key').on('assets').column('metadata_key').execute();
      await db.schema
        .createTable('metadata_intents')
        .addColumn('metadata_key', 'text', (c) => c.primaryKey())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('session_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('spreadsheet_id', 'text', (c) => c.notNull())
        .addColumn('sheet_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('request', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('session_jobs')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('session_jobs_session').on('session_jobs').column('session_id').execute();
    },
  },
  {
    version: 2,
    name: 'trigram search index for assets q=',
    async up(db, engine) {
      if (engine === 'sqlite') {
        // FTS5's case-sensitive trigram tokenizer serves GLOB '*text*' from its index; the text is lower-cased
        // already (https://www.sqlite.org/fts5.html#the_trigram_tokenizer).
        // Keyed by the assets' rowid, which is stable: nothing here runs VACUUM on the catalogue.
        await sql`create virtual table assets_search using fts5(search, tokenize = 'trigram case_sensitive 1')`.execute(db);
        await sql`insert into assets_search(rowid, search) select rowid, search from assets`.execute(db);
        await sql`create trigger assets_search_ai after insert on assets begin insert into assets_search(rowid, search) values (new.rowid, new.search); end`.execute(
          db,
        );
        await sql`create trigger assets_search_ad after delete on assets begin delete from assets_search where rowid = old.rowid; end`.execute(
          db,
        );
        await sql`create trigger assets_search_au after update of search on assets begin update assets_search set search = new.search where rowid = old.rowid; end`.execute(
          db,
        );
        return;
      }
      // pg_trgm's GIN index serves LIKE '%text%' (https://www.postgresql.org/docs/15/pgtrgm.html#id-1.11.7.42.8).
      // It is a trusted extension; where it cannot be created, search still works, by scanning.
      await sql`savepoint trgm`.execute(db);
      try {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index assets_search_trgm on assets using gin (search gin_trgm_ops)`.execute(db);
        await sql`release savepoint trgm`.execute(db);
      } catch {
        await sql`rollback to savepoint trgm`.execute(db);
      }
    },
  },
  {
    version: 3,
    name: 'erasures: the journal of cascading erases',
    async up(db) {
      // one row per erase, written before its first step and advanced after each (catalogue/erase.ts)
      await db.schema
        .createTable('erasures')
        .addColumn('erase_id', 'text', (c) => c.primaryKey())
        .addColumn('person_id', 'text', (c) => c.notNull())
        .addColumn('spreadsheet_id', 'text', (c) => c.notNull())
        .addColumn('row_id', 'text', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('row', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('files', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bytes', 'text', (c) => c.notNull().defaultTo('0'))
        .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('erasures_open').on('erasures').columns(['finished_at', 'person_id']).execute();
    },
  },
];

/** The newest version this code knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to LATEST_VERSION.
 * @returns the versions this call applied (empty when another process got there first)
 * @throws ArchiveError('system') when the database is newer than this code (a newer worker ran),
 *   or a migration fails (the transaction is rolled back)
 */
export async function migrate(c: CatalogueDb, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  return c.db.connection().execute(async (conn) => {
    await sql.raw(c.engine === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    try {
      if (c.engine === 'postgres') await sql`select pg_advisory_xact_lock(${PG_LOCK_KEY})`.execute(conn);
      await conn.schema
        .createTable('catalogue_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('applied_at', 'text', (col) => col.notNull())
        .execute();
      const done = new Set((await conn.selectFrom('catalogue_migrations').select('version').execute()).map((r) => Number(r.version)));
      const newest = Math.max(0, ...done);
      const known = migrations[migrations.length - 1]?.version ?? 0;
      if (newest > known) {
        throw new ArchiveError(
          'system',
          `the catalogue ${c.describe} is at version ${newest}, newer than this sheet-archiver (${known}); upgrade it`,
        );
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await m.up(conn, c.engine);
        await conn
          .insertInto('catalogue_migrations')
          .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
          .execute();
        applied.push(m.version);
      }
      await sql.raw('commit').execute(conn);
      return applied;
    } catch (err) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      if (err instanceof ArchiveError) throw err;
      throw new ArchiveError('system', `catalogue migration failed on ${c.describe}: ${(err as Error).message}`, { cause: err });
    }
  });
}
