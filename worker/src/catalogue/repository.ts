/**
 * The catalogue (docs/design.md §8): people, assets and sessions over Kysely, the same code on SQLite
 * and PostgreSQL. Writes go through `write()`, one transaction that takes the write lock first
 * (`BEGIN IMMEDIATE` on SQLite, so concurrent processes wait instead of failing on a lock upgrade).
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { SourceName } from '../../../shared/columns.js';
import type { MediaMetadata } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import { assetsOf, personIdOf, personOf, type MetadataObject } from './assets.js';
import { openDb, type CatalogueDb, type CatalogueTarget, type Engine } from './db.js';
import { migrate } from './migrate.js';
import type { AssetKind, AssetStatus, AssetsTable, CatalogueDatabase, PeopleTable } from './schema.js';

type Db = Kysely<CatalogueDatabase>;

/** Matches of a search below which the trigram index's hits are used directly (SQLite). */
const SEARCH_PROBE = 2000;

/** Rows per multi-row INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const CHUNK = 400;

/** A person as the API and CLI show it. */
export interface Person {
  personId: string;
  spreadsheetId: string;
  rowId: string;
  name: string;
  email: string;
  type: string;
  sheetId: number | null;
  sheetName: string;
  rowNumber: number | null;
  links: { column: string; url: string }[];
  createdAt: string;
  updatedAt: string;
  /** stored assets */
  assets: number;
}

/** An asset as the API and CLI show it. */
export interface Asset {
  assetId: string;
  personId: string;
  spreadsheetId: string;
  rowId: string;
  source: SourceName;
  kind: AssetKind;
  mediaId: string;
  link: string;
  objectKey: string;
  metadataKey: string;
  storageUrl: string;
  fileName: string;
  /** bytes */
  size: number;
  sha256: string;
  md5: string | null;
  revision: string | null;
  /** Drive: the archive version this file belongs to (1, 2, …); null for YouTube (docs/catalogue.md "Versions") */
  version: number | null;
  /** false for a file of an earlier Drive version that a newer one replaced; the sheet lists only current files */
  current: boolean;
  status: AssetStatus;
  tags: string[];
  note: string;
  title: string | null;
  uploader: string | null;
  /** seconds */
  duration: number | null;
  /** title, duration, uploader, chapters and a few source facts */
  media: Record<string, unknown>;
  archivedAt: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** One media item of a person: its assets, grouped (GET /v1/people/:rowId). */
export interface MediaGroup {
  mediaId: string;
  title: string | null;
  link: string;
  assets: Asset[];
}

/** Filters of GET /v1/assets. `status` defaults to `stored`; `all` lists deleted ones too. */
export interface AssetFilter {
  spreadsheetId?: string;
  rowId?: string;
  source?: SourceName;
  kind?: AssetKind;
  mediaId?: string;
  /** searches title, uploader and file name, case-insensitively */
  q?: string;
  status?: AssetStatus | 'all';
  /** from a previous page's nextCursor */
  cursor?: string;
  /** 1…500, default 100 */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** pass as `cursor` for the next page; null on the last one */
  nextCursor: string | null;
}

/** A person registered by `catalogue import`. */
export interface ImportedPerson {
  spreadsheetId: string;
  sheetName: string;
  rowId: string;
  rowNumber: number;
  name: string;
  email: string;
  type: string;
  links: { column: string; url: string }[];
}

/** A session's record with its jobs counted by latest status. */
export interface Session {
  sessionId: string;
  kind: 'dispatch' | 'run';
  spreadsheetId: string;
  sheetName: string;
  request: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  counts: Record<string, number>;
}

/** Thrown for a cursor that this catalogue did not make; routes answer 400 naming `cursor`. */
export class CursorError extends Error {
  override name = 'CursorError';
}

/** Encodes keyset values as an opaque cursor (base64url JSON). */
export function encodeCursor(values: string[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** @throws CursorError when `cursor` is not `n` strings that encodeCursor made */
export function decodeCursor(cursor: string, n: number): string[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* fall through */
  }
  throw new CursorError('not a cursor this worker returned; start again without it');
}

/** `%`, `_` and `\` are LIKE wildcards/escape: match them literally. */
function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** GLOB `*text*` with `*`, `?` and `[` matched literally (a one-character class each). */
function globPattern(q: string): string {
  return `*${q.toLowerCase().replace(/[*?[]/g, (c) => `[${c}]`)}*`;
}

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

function toAsset(r: Selectable<AssetsTable>): Asset {
  const media = parseJson<Record<string, unknown>>(r.media, {});
  return {
    assetId: r.asset_id,
    personId: r.person_id,
    spreadsheetId: r.spreadsheet_id,
    rowId: r.row_id,
    source: r.source,
    kind: r.kind,
    mediaId: r.media_id,
    link: r.link,
    objectKey: r.object_key,
    metadataKey: r.metadata_key,
    storageUrl: r.storage_url,
    fileName: r.file_name,
    size: Number(r.size),
    sha256: r.sha256,
    md5: r.md5,
    revision: r.revision,
    version: typeof media['version'] === 'number' ? media['version'] : null,
    current: media['current'] !== false,
    status: r.status,
    tags: parseJson<string[]>(r.tags, []),
    note: r.note,
    title: r.title,
    uploader: r.uploader,
    duration: r.duration === null ? null : Number(r.duration),
    media,
    archivedAt: r.archived_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
  };
}

function toPerson(r: Selectable<PeopleTable> & { assets?: number | string | null }): Person {
  return {
    personId: r.person_id,
    spreadsheetId: r.spreadsheet_id,
    rowId: r.row_id,
    name: r.name,
    email: r.email,
    type: r.type,
    sheetId: r.sheet_id === null ? null : Number(r.sheet_id),
    sheetName: r.sheet_name,
    rowNumber: r.row_number === null ? null : Number(r.row_number),
    links: parseJson(r.links, []),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    assets: Number(r.assets ?? 0),
  };
}

const nowIso = () => new Date().toISOString();

export class Catalogue {
  readonly engine: Engine;
  readonly db: Db;
  /** where the catalogue is, without credentials */
  readonly describe: string;

  constructor(c: CatalogueDb) {
    this.engine = c.engine;
    this.db = c.db;
    this.describe = c.describe;
  }

  /**
   * Opens the catalogue and runs pending migrations.
   * @throws ArchiveError('file_io'|'system') when it cannot be opened or migrated
   */
  static async open(target: CatalogueTarget): Promise<Catalogue> {
    const c = await openDb(target);
    try {
      await migrate(c);
    } catch (err) {
      await c.db.destroy();
      throw err;
    }
    return new Catalogue(c);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Runs `fn` in one write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN). */
  async write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    if (this.engine === 'postgres') return this.db.transaction().execute(fn);
    return this.db.connection().execute(async (conn) => {
      await sql.raw('begin immediate').execute(conn);
      try {
        const out = await fn(conn);
        await sql.raw('commit').execute(conn);
        return out;
      } catch (err) {
        await sql
          .raw('rollback')
          .execute(conn)
          .catch(() => undefined);
        throw err;
      }
    });
  }

  // ── writes from metadata.json ────────────────────────────────────────────────────────────────

  /** Inserts or updates a person; older facts (by facts_at) never overwrite newer ones. */
  private async upsertPerson(trx: Db, p: PeopleTable, keepImport = true): Promise<void> {
    const existing = await trx.selectFrom('people').select(['facts_at']).where('person_id', '=', p.person_id).executeTakeFirst();
    if (!existing) {
      await trx.insertInto('people').values(p).execute();
      return;
    }
    const newer = p.facts_at >= existing.facts_at;
    await trx
      .updateTable('people')
      .set({
        ...(newer
          ? {
              name: p.name,
              email: p.email,
              type: p.type,
              sheet_id: p.sheet_id,
              sheet_name: p.sheet_name,
              search: p.search,
              facts_at: p.facts_at,
            }
          : {}),
        ...(keepImport ? {} : { row_number: p.row_number, links: p.links }),
        updated_at: p.updated_at,
      })
      .where('person_id', '=', p.person_id)
      .execute();
  }

  /**
   * Makes the catalogue hold exactly what one metadata.json says: its person, and its folder's
   * assets (new ones added, changed ones updated keeping tags/note/status, ones it no longer
   * lists removed). Idempotent.
   */
  async applyMetadata(trx: Db, meta: MediaMetadata, metadata: MetadataObject, store: ObjectStore): Promise<void> {
    await this.applyMany(trx, [{ meta, metadata }], store);
  }

  /**
   * applyMetadata for many metadata.json files at once, in a few multi-row statements (rebuild).
   * Items must have distinct metadata keys.
   */
  async applyMany(trx: Db, items: { meta: MediaMetadata; metadata: MetadataObject }[], store: ObjectStore): Promise<void> {
    if (items.length === 0) return;
    const at = nowIso();
    // people: the newest facts per person among the items, then against the stored ones
    const people = new Map<string, PeopleTable>();
    for (const { meta } of items) {
      const p = personOf(meta, at);
      const seen = people.get(p.person_id);
      if (!seen || p.facts_at >= seen.facts_at) people.set(p.person_id, p);
    }
    const ids = [...people.keys()];
    const existing = new Map<string, string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const r of await trx
        .selectFrom('people')
        .select(['person_id', 'facts_at'])
        .where('person_id', 'in', ids.slice(i, i + CHUNK))
        .execute())
        existing.set(r.person_id, r.facts_at);
    }
    const fresh = [...people.values()].filter((p) => !existing.has(p.person_id));
    for (let i = 0; i < fresh.length; i += CHUNK)
      await trx
        .insertInto('people')
        .values(fresh.slice(i, i + CHUNK))
        .execute();
    for (const p of people.values()) if (existing.has(p.person_id)) await this.upsertPerson(trx, p);

    // assets: replace each folder's set
    const rows = items.flatMap(({ meta, metadata }) => assetsOf(meta, metadata, store, at));
    const keep = new Set(rows.map((r) => r.asset_id));
    const keys = items.map((x) => x.metadata.key);
    const gone: string[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const before = await trx
        .selectFrom('assets')
        .select('asset_id')
        .where('metadata_key', 'in', keys.slice(i, i + CHUNK))
        .execute();
      for (const r of before) if (!keep.has(r.asset_id)) gone.push(r.asset_id);
    }
    for (let i = 0; i < gone.length; i += CHUNK)
      await trx
        .deleteFrom('assets')
        .where('asset_id', 'in', gone.slice(i, i + CHUNK))
        .execute();
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('assets')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.column('asset_id').doUpdateSet((eb) => ({
            person_id: eb.ref('excluded.person_id'),
            spreadsheet_id: eb.ref('excluded.spreadsheet_id'),
            row_id: eb.ref('excluded.row_id'),
            source: eb.ref('excluded.source'),
            kind: eb.ref('excluded.kind'),
            media_id: eb.ref('excluded.media_id'),
            link: eb.ref('excluded.link'),
            metadata_key: eb.ref('excluded.metadata_key'),
            storage_url: eb.ref('excluded.storage_url'),
            file_name: eb.ref('excluded.file_name'),
            size: eb.ref('excluded.size'),
            sha256: eb.ref('excluded.sha256'),
            md5: eb.ref('excluded.md5'),
            revision: eb.ref('excluded.revision'),
            title: eb.ref('excluded.title'),
            uploader: eb.ref('excluded.uploader'),
            duration: eb.ref('excluded.duration'),
            media: eb.ref('excluded.media'),
            search: eb.ref('excluded.search'),
            archived_at: eb.ref('excluded.archived_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }

  /** Journals a metadata.json write about to happen (sink.ts). */
  async beginMetadataWrite(key: string, sha256: string): Promise<void> {
    await this.db
      .insertInto('metadata_intents')
      .values({ metadata_key: key, sha256, created_at: nowIso() })
      .onConflict((oc) => oc.column('metadata_key').doUpdateSet({ sha256, created_at: nowIso() }))
      .execute();
  }

  /** Applies a written metadata.json and clears its intent, in one transaction. */
  async finishMetadataWrite(meta: MediaMetadata, metadata: MetadataObject, store: ObjectStore): Promise<void> {
    await this.write(async (trx) => {
      await this.applyMetadata(trx, meta, metadata, store);
      await trx.deleteFrom('metadata_intents').where('metadata_key', '=', metadata.key).execute();
    });
  }

  /** Drops an intent (the write did not happen, or was undone). */
  async abandonMetadataWrite(key: string): Promise<void> {
    await this.db.deleteFrom('metadata_intents').where('metadata_key', '=', key).execute();
  }

  /** Intents left by a process that died between metadata.json and the catalogue. */
  async pendingIntents(): Promise<{ key: string; sha256: string }[]> {
    const rows = await this.db.selectFrom('metadata_intents').select(['metadata_key', 'sha256']).orderBy('metadata_key').execute();
    return rows.map((r) => ({ key: r.metadata_key, sha256: r.sha256 }));
  }

  /**
   * Removes the stored assets whose metadata.json a complete rebuild did not find (`seen` holds
   * the metadata keys it found). Soft-deleted assets stay: their record is the erase's.
   * @returns how many assets were removed
   */
  async pruneUnseen(seen: ReadonlySet<string>): Promise<number> {
    const rows = await this.db.selectFrom('assets').select(['asset_id', 'metadata_key']).where('status', '=', 'stored').execute();
    const gone = rows.filter((r) => !seen.has(r.metadata_key)).map((r) => r.asset_id);
    await this.write(async (trx) => {
      for (let i = 0; i < gone.length; i += CHUNK)
        await trx
          .deleteFrom('assets')
          .where('asset_id', 'in', gone.slice(i, i + CHUNK))
          .execute();
    });
    return gone.length;
  }

  // ── people ───────────────────────────────────────────────────────────────────────────────────

  /** Registers (or updates) the people of a sheet: name, email, type, row number and links. */
  async importPeople(people: ImportedPerson[]): Promise<{ created: number; updated: number }> {
    let created = 0;
    let updated = 0;
    const at = nowIso();
    await this.write(async (trx) => {
      for (const p of people) {
        const personId = personIdOf(p.spreadsheetId, p.rowId);
        const exists = await trx.selectFrom('people').select('person_id').where('person_id', '=', personId).executeTakeFirst();
        if (exists) updated++;
        else created++;
        await this.upsertPerson(
          trx,
          {
            person_id: personId,
            spreadsheet_id: p.spreadsheetId,
            row_id: p.rowId,
            name: p.name,
            email: p.email,
            type: p.type,
            sheet_id: null,
            sheet_name: p.sheetName,
            row_number: p.rowNumber,
            links: JSON.stringify(p.links),
            search: `${p.name} ${p.email} ${p.rowId}`.toLowerCase(),
            facts_at: at,
            created_at: at,
            updated_at: at,
          },
          false,
        );
      }
    });
    return { created, updated };
  }

  /** People, optionally of one spreadsheet and matching `q` (name, email or row_id), by (spreadsheet, row_id). */
  async listPeople(f: { spreadsheetId?: string; q?: string; cursor?: string; limit?: number } = {}): Promise<Page<Person>> {
    const limit = f.limit ?? 100;
    let query = this.db
      .selectFrom('people')
      .selectAll('people')
      .select((eb) =>
        eb
          .selectFrom('assets')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('assets.person_id', '=', 'people.person_id')
          .where('assets.status', '=', 'stored')
          .as('assets'),
      )
      .orderBy('spreadsheet_id')
      .orderBy('row_id')
      .limit(limit + 1);
    if (f.spreadsheetId) query = query.where('spreadsheet_id', '=', f.spreadsheetId);
    if (f.q) query = query.where(sql<boolean>`search like ${likePattern(f.q)} escape '\\'`);
    if (f.cursor) {
      const [s, r] = decodeCursor(f.cursor, 2) as [string, string];
      query = query.where((eb) => eb.or([eb('spreadsheet_id', '>', s), eb.and([eb('spreadsheet_id', '=', s), eb('row_id', '>', r)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(toPerson);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.spreadsheetId, last.rowId]) : null };
  }

  /** The people with this row_id (one per spreadsheet), or the one in `spreadsheetId`. */
  async findPeople(rowId: string, spreadsheetId?: string): Promise<Person[]> {
    let q = this.db.selectFrom('people').selectAll().where('row_id', '=', rowId);
    if (spreadsheetId) q = q.where('spreadsheet_id', '=', spreadsheetId);
    return (await q.orderBy('spreadsheet_id').execute()).map(toPerson);
  }

  /** A person and every stored asset, grouped by source and media id (ordered by object key). */
  async personWithAssets(personId: string): Promise<{ person: Person; sources: Record<SourceName, MediaGroup[]> } | null> {
    const row = await this.db.selectFrom('people').selectAll().where('person_id', '=', personId).executeTakeFirst();
    if (!row) return null;
    const assets = (
      await this.db
        .selectFrom('assets')
        .selectAll()
        .where('person_id', '=', personId)
        .where('status', '=', 'stored')
        .orderBy('object_key')
        .execute()
    ).map(toAsset);
    const sources: Record<SourceName, MediaGroup[]> = { youtube: [], drive: [] };
    for (const a of assets) {
      const groups = sources[a.source];
      let g = groups.find((x) => x.mediaId === a.mediaId);
      if (!g) groups.push((g = { mediaId: a.mediaId, title: a.title, link: a.link, assets: [] }));
      g.assets.push(a);
    }
    return { person: { ...toPerson(row), assets: assets.length }, sources };
  }

  // ── assets ───────────────────────────────────────────────────────────────────────────────────

  /** Assets matching `f`, ordered by object key (so a person's files sit together), a page at a time. */
  async listAssets(f: AssetFilter = {}): Promise<Page<Asset>> {
    const limit = f.limit ?? 100;
    let q = this.db
      .selectFrom('assets')
      .selectAll()
      .orderBy('object_key')
      .limit(limit + 1);
    const status = f.status ?? 'stored';
    if (status !== 'all') q = q.where('status', '=', status);
    if (f.spreadsheetId) q = q.where('spreadsheet_id', '=', f.spreadsheetId);
    if (f.rowId) q = q.where('row_id', '=', f.rowId);
    if (f.source) q = q.where('source', '=', f.source);
    if (f.kind) q = q.where('kind', '=', f.kind);
    if (f.mediaId) q = q.where('media_id', '=', f.mediaId);
    if (f.q) {
      if (this.engine === 'sqlite') {
        // The FTS5 trigram index (migration 2) finds a rare text at once, but materialising every
        // match of a common one costs more than walking object keys until a page is full: probe it.
        const hits = await sql<{
          rowid: number;
        }>`select rowid from assets_search where search glob ${globPattern(f.q)} limit ${SEARCH_PROBE}`.execute(this.db);
        if (hits.rows.length === 0) return { items: [], nextCursor: null };
        q =
          hits.rows.length < SEARCH_PROBE
            ? q.where(sql<boolean>`assets.rowid in (${sql.join(hits.rows.map((r) => r.rowid))})`)
            : q.where(sql<boolean>`search like ${likePattern(f.q)} escape '\\'`);
      } else {
        // pg_trgm's GIN index (migration 2) serves this LIKE
        q = q.where(sql<boolean>`search like ${likePattern(f.q)} escape '\\'`);
      }
    }
    if (f.cursor) q = q.where('object_key', '>', decodeCursor(f.cursor, 1)[0]!);
    const rows = await q.execute();
    const items = rows.slice(0, limit).map(toAsset);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.objectKey]) : null };
  }

  async getAsset(assetId: string): Promise<Asset | null> {
    const r = await this.db.selectFrom('assets').selectAll().where('asset_id', '=', assetId).executeTakeFirst();
    return r ? toAsset(r) : null;
  }

  async getPerson(personId: string): Promise<Person | null> {
    const r = await this.db.selectFrom('people').selectAll().where('person_id', '=', personId).executeTakeFirst();
    return r ? toPerson(r) : null;
  }

  /** The other assets of an asset's media folder (its subtitles, transcript, info…). */
  async siblings(asset: Asset): Promise<Asset[]> {
    return (
      await this.db.selectFrom('assets').selectAll().where('metadata_key', '=', asset.metadataKey).orderBy('object_key').execute()
    ).map(toAsset);
  }

  /**
   * Sets an asset's tags and/or note, the only user-editable fields.
   * @returns the updated asset, or null when there is none
   */
  async patchAsset(assetId: string, patch: { tags?: string[]; note?: string }): Promise<Asset | null> {
    const set: { tags?: string; note?: string; updated_at: string } = { updated_at: nowIso() };
    if (patch.tags) set.tags = JSON.stringify([...new Set(patch.tags)]);
    if (patch.note !== undefined) set.note = patch.note;
    const r = await this.db.updateTable('assets').set(set).where('asset_id', '=', assetId).executeTakeFirst();
    return Number(r.numUpdatedRows) ? this.getAsset(assetId) : null;
  }

  /** Every stored asset with its person's columns, by object key (export; docs/catalogue.md). */
  async *exportRows(batch = 1000): AsyncGenerator<Asset & { name: string; email: string; type: string; sheetName: string }> {
    let after = '';
    for (;;) {
      const rows = await this.db
        .selectFrom('assets')
        .innerJoin('people', 'people.person_id', 'assets.person_id')
        .selectAll('assets')
        .select(['people.name', 'people.email', 'people.type', 'people.sheet_name'])
        .where('assets.status', '=', 'stored')
        .where('assets.object_key', '>', after)
        .orderBy('assets.object_key')
        .limit(batch)
        .execute();
      for (const r of rows) yield { ...toAsset(r), name: r.name, email: r.email, type: r.type, sheetName: r.sheet_name };
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.object_key;
    }
  }

  // ── sessions ─────────────────────────────────────────────────────────────────────────────────

  /** Records a dispatch or `run` (first record wins: a repeat keeps the original). */
  async openSession(s: {
    sessionId: string;
    kind: 'dispatch' | 'run';
    spreadsheetId: string;
    sheetName: string;
    request: Record<string, unknown>;
  }): Promise<void> {
    const at = nowIso();
    await this.db
      .insertInto('sessions')
      .values({
        session_id: s.sessionId,
        kind: s.kind,
        spreadsheet_id: s.spreadsheetId,
        sheet_name: s.sheetName,
        request: JSON.stringify(s.request),
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('session_id').doNothing())
      .execute();
  }

  /** Records a job's latest status under its session (created as a dispatch when unknown). */
  async recordJob(j: {
    jobId: string;
    dispatchId: string;
    spreadsheetId: string;
    sheetName: string;
    rowId: string;
    source: SourceName;
    status: string;
    options?: unknown;
  }): Promise<void> {
    const at = nowIso();
    await this.write(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          session_id: j.dispatchId,
          kind: 'dispatch',
          spreadsheet_id: j.spreadsheetId,
          sheet_name: j.sheetName,
          request: JSON.stringify({ options: j.options ?? {} }),
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.column('session_id').doUpdateSet({ updated_at: at }))
        .execute();
      await trx
        .insertInto('session_jobs')
        .values({ job_id: j.jobId, session_id: j.dispatchId, row_id: j.rowId, source: j.source, status: j.status, updated_at: at })
        .onConflict((oc) => oc.column('job_id').doUpdateSet({ status: j.status, updated_at: at }))
        .execute();
    });
  }

  /** Sessions, newest first, with their jobs counted by latest status. */
  async listSessions(limit = 50): Promise<Session[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('session_id')
      .limit(limit)
      .execute();
    if (rows.length === 0) return [];
    const counts = await this.db
      .selectFrom('session_jobs')
      .select(['session_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where(
        'session_id',
        'in',
        rows.map((r) => r.session_id),
      )
      .groupBy(['session_id', 'status'])
      .execute();
    return rows.map((r) => ({
      sessionId: r.session_id,
      kind: r.kind,
      spreadsheetId: r.spreadsheet_id,
      sheetName: r.sheet_name,
      request: parseJson(r.request, {}),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      counts: Object.fromEntries(counts.filter((c) => c.session_id === r.session_id).map((c) => [c.status, Number(c.n)])),
    }));
  }

  // ── comparison ───────────────────────────────────────────────────────────────────────────────

  /**
   * The catalogue's content without its clock fields (created/updated times), sorted: what a
   * rebuild must reproduce. For tests and `catalogue rebuild --check`.
   */
  async snapshot(): Promise<{ people: Omit<Person, 'createdAt' | 'updatedAt'>[]; assets: Omit<Asset, 'createdAt' | 'updatedAt'>[] }> {
    const people = (await this.db.selectFrom('people').selectAll().orderBy('person_id').execute()).map((r) => {
      const { createdAt: _c, updatedAt: _u, assets: _a, ...rest } = toPerson(r);
      return rest as Omit<Person, 'createdAt' | 'updatedAt'>;
    });
    const assets = (await this.db.selectFrom('assets').selectAll().orderBy('asset_id').execute()).map((r) => {
      const { createdAt: _c, updatedAt: _u, ...rest } = toAsset(r);
      return rest;
    });
    return { people, assets };
  }
}
