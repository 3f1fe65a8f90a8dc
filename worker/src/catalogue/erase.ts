/**
 * Erase (docs/catalogue.md "Erase it"): soft delete (assets marked `deleted`, hidden from lists, files
 * kept), `purge` of soft-deleted assets past an age, and the hard erase of a person, which cascades
 * through every store in four steps:
 *   1. cancel the row's open jobs (and kill a running one in this process);
 *   2. delete every object under the row's prefix (docs/design.md §5), metadata.json last;
 *   3. delete the catalogue rows (assets, then the person);
 *   4. clear the row's tracking cells through the normal write-back (an outbox update, cells.ts).
 * The erase is journaled in the `erasures` table before step 1 and advanced after each step; every
 * step is idempotent, so an erase interrupted by a crash is finished by `resumeErasures` at start-up.
 */
import { randomBytes } from 'node:crypto';
import { SOURCES, type SourceName } from '../../../shared/columns.js';
import { eraseNote } from '../../../shared/rows.js';
import { OPEN_JOB_STATUSES, type JobRecord } from '../../../shared/schemas.js';
import { silentLogger, type Logger } from '../log.js';
import type { JobBackend } from '../jobs/types.js';
import type { StatusOutbox } from '../sheets/types.js';
import { projectErased } from '../sheets/projector.js';
import { idSegment, parseKey, sanitizePath } from '../storage/layout.js';
import { readMetadata } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import type { Catalogue, Person } from './repository.js';
import type { ErasuresTable } from './schema.js';

/** The steps of a hard erase, by the number the journal records once the step is done. */
export const ERASE_STEPS = ['started', 'jobs_cancelled', 'objects_deleted', 'catalogue_deleted', 'sheet_cleared'] as const;
export type EraseStepName = (typeof ERASE_STEPS)[number];
const LAST_STEP = ERASE_STEPS.length - 1;

/** Keys per DeleteObjects request: the S3 maximum (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
export const DELETE_BATCH = 1000;

/** What step 4 needs once the person row is gone. */
export interface ErasedRow {
  sheetId: number;
  sheetName: string;
  /** the row's type label: the backends verify it before writing (design §1) */
  type: string;
  /** 1-based row, a hint */
  rowNumber: number;
}

/** One erase as the journal holds it. */
export interface Erasure {
  eraseId: string;
  personId: string;
  spreadsheetId: string;
  rowId: string;
  /** the last step done (ERASE_STEPS index) */
  step: number;
  stepName: EraseStepName;
  row: ErasedRow;
  /** objects and bytes found to delete at step 2 (0 before it) */
  files: number;
  bytes: number;
  /** the download_errors note, e.g. `erased on 2026-12-02` */
  note: string;
  /** jobs step 1 cancelled in this call */
  cancelledJobs: string[];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** What a hard erase works on. */
export interface EraseDeps {
  catalogue: Catalogue;
  store: ObjectStore;
  queue: Pick<JobBackend, 'list' | 'cancel'>;
  /** the status outbox the reporter drains (report/outbox.ts) */
  outbox: Pick<StatusOutbox, 'push'>;
  /** key prefix, design §5 `<prefix>` (ARCHIVER_PREFIX; may be '') */
  prefix: string;
  /** kills a running job in this process (Runner.abort) */
  abortJob?: (jobId: string) => boolean;
  /** a job step 1 cancelled (for the event log) */
  onCancelled?: (job: JobRecord) => void;
  log?: Logger;
  /** clock; default the system's */
  now?: () => Date;
  /** called after each step is journaled: the injection point of the crash tests (see crashHookFromEnv) */
  afterStep?: (step: number, erase: Erasure) => void | Promise<void>;
}

/** Storage that can delete many keys in one request (S3 DeleteObjects). */
interface BatchRemover {
  removeMany(keys: string[]): Promise<void>;
}

function canRemoveMany(store: ObjectStore): store is ObjectStore & BatchRemover {
  return typeof (store as Partial<BatchRemover>).removeMany === 'function';
}

/**
 * Deletes keys: batched DeleteObjects where the store has them (S3), otherwise one at a time.
 * A key already gone is not an error.
 * @throws ArchiveError('file_io'|'network') from the store
 */
export async function removeKeys(store: ObjectStore, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    if (canRemoveMany(store)) await store.removeMany(batch);
    else for (const k of batch) await store.remove(k);
  }
}

/** `<prefix>/<row segment>/`: the folder of everything archived for a row_id (design §5). */
export function rowPrefix(prefix: string, rowId: string): string {
  return `${prefix ? sanitizePath(prefix) + '/' : ''}${idSegment(rowId)}/`;
}

/** The media folder (`…/<row>/<source>/<media_id>/`) of a key, or null outside the layout. */
function folderOf(key: string, prefix: string): string | null {
  const p = parseKey(key, prefix);
  if (!p) return null;
  const head = prefix ? sanitizePath(prefix) + '/' : '';
  return `${head}${p.rowId}/${p.source}/${p.mediaId}/`;
}

function toErasure(r: ErasuresTable, cancelledJobs: string[] = []): Erasure {
  const step = Number(r.step);
  return {
    eraseId: r.erase_id,
    personId: r.person_id,
    spreadsheetId: r.spreadsheet_id,
    rowId: r.row_id,
    step,
    stepName: ERASE_STEPS[step] ?? 'started',
    row: JSON.parse(r.row) as ErasedRow,
    files: Number(r.files),
    bytes: Number(r.bytes),
    note: r.note,
    cancelledJobs,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

/** The open jobs of one (spreadsheet, row_id), every page of the queue. */
async function openJobsOf(queue: EraseDeps['queue'], spreadsheetId: string, rowId: string): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.list({ rowId, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const j of page.jobs) if (j.spreadsheetId === spreadsheetId && OPEN_JOB_STATUSES.includes(j.status)) out.push(j);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** The newest job of a (spreadsheet, row_id): where the row was last seen in the sheet. */
async function newestJobOf(queue: EraseDeps['queue'], spreadsheetId: string, rowId: string): Promise<JobRecord | null> {
  let cursor: string | undefined;
  do {
    const page = await queue.list({ rowId, limit: 500, ...(cursor ? { cursor } : {}) });
    const hit = page.jobs.find((j) => j.spreadsheetId === spreadsheetId);
    if (hit) return hit;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return null;
}

/** How much a person's erase removes: every asset the catalogue has for them (stored or soft-deleted). */
export async function eraseSummary(catalogue: Catalogue, personId: string): Promise<{ files: number; bytes: number }> {
  const r = await catalogue.db
    .selectFrom('assets')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return { files: Number(r?.n ?? 0), bytes: Number(r?.bytes ?? 0) };
}

// ── soft delete and purge ──────────────────────────────────────────────────────────────────────

/**
 * Soft-deletes every stored asset of a person: status `deleted`, hidden from lists (status=deleted
 * shows them); the files stay until a hard erase or `catalogue purge`.
 * @returns how many assets were marked
 */
export async function softDeletePerson(catalogue: Catalogue, personId: string, now = new Date()): Promise<number> {
  const at = now.toISOString();
  const r = await catalogue.db
    .updateTable('assets')
    .set({ status: 'deleted', deleted_at: at, updated_at: at })
    .where('person_id', '=', personId)
    .where('status', '=', 'stored')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Soft-deletes one asset (see softDeletePerson). An asset already deleted keeps its deletion time.
 * @returns true when the asset exists
 */
export async function softDeleteAsset(catalogue: Catalogue, assetId: string, now = new Date()): Promise<boolean> {
  const at = now.toISOString();
  const exists = await catalogue.db.selectFrom('assets').select('asset_id').where('asset_id', '=', assetId).executeTakeFirst();
  if (!exists) return false;
  await catalogue.db
    .updateTable('assets')
    .set({ status: 'deleted', deleted_at: at, updated_at: at })
    .where('asset_id', '=', assetId)
    .where('status', '=', 'stored')
    .execute();
  return true;
}

/**
 * Hard-deletes the assets soft-deleted before `before`: their objects (metadata.json last), then
 * their rows. Idempotent: run again after a crash and it finishes.
 * @returns how many assets and bytes went
 * @throws ArchiveError('file_io'|'network') from the store (the rows of undeleted files stay)
 */
export async function purgeDeleted(catalogue: Catalogue, store: ObjectStore, before: Date): Promise<{ assets: number; bytes: number }> {
  const rows = await catalogue.db
    .selectFrom('assets')
    .select(['asset_id', 'object_key', 'size', 'kind'])
    .where('status', '=', 'deleted')
    .where('deleted_at', '<', before.toISOString())
    .orderBy('object_key')
    .execute();
  const media = rows.filter((r) => r.kind !== 'metadata');
  const meta = rows.filter((r) => r.kind === 'metadata');
  await removeKeys(
    store,
    media.map((r) => r.object_key),
  );
  await removeKeys(
    store,
    meta.map((r) => r.object_key),
  );
  const ids = rows.map((r) => r.asset_id);
  await catalogue.write(async (trx) => {
    for (let i = 0; i < ids.length; i += 400)
      await trx
        .deleteFrom('assets')
        .where('asset_id', 'in', ids.slice(i, i + 400))
        .execute();
  });
  return { assets: rows.length, bytes: rows.reduce((n, r) => n + Number(r.size), 0) };
}

// ── hard erase ─────────────────────────────────────────────────────────────────────────────────

/** Erases of one person run one at a time in a process (a second request waits and finds it done). */
const running = new Map<string, Promise<unknown>>();

function serialised<T>(personId: string, fn: () => Promise<T>): Promise<T> {
  const prev = running.get(personId) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  running.set(personId, next);
  void next.finally(() => running.get(personId) === next && running.delete(personId)).catch(() => undefined);
  return next;
}

/**
 * Journals a hard erase of a person (or returns their unfinished one), before any step runs.
 */
async function beginErase(deps: EraseDeps, person: Person): Promise<ErasuresTable> {
  const db = deps.catalogue.db;
  const open = await db
    .selectFrom('erasures')
    .selectAll()
    .where('person_id', '=', person.personId)
    .where('finished_at', 'is', null)
    .executeTakeFirst();
  if (open) return open;
  const job = await newestJobOf(deps.queue, person.spreadsheetId, person.rowId);
  const row: ErasedRow = {
    sheetId: job?.sheetId ?? person.sheetId ?? 0,
    sheetName: job?.sheetName ?? person.sheetName,
    type: job?.type ?? person.type,
    rowNumber: job?.rowNumber ?? person.rowNumber ?? 0,
  };
  const now = (deps.now ?? (() => new Date()))();
  const values: ErasuresTable = {
    erase_id: `e_${randomBytes(12).toString('hex')}`,
    person_id: person.personId,
    spreadsheet_id: person.spreadsheetId,
    row_id: person.rowId,
    step: 0,
    row: JSON.stringify(row),
    files: 0,
    bytes: '0',
    note: eraseNote(now),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    finished_at: null,
  };
  await db.insertInto('erasures').values(values).execute();
  return values;
}

/**
 * Hard-erases a person: journals the erase, then runs the steps it has not done yet.
 * @returns the finished erase (step 4, finishedAt set)
 * @throws ArchiveError from the store or catalogue; the journal keeps the step reached, and
 *   resumeErasures (or the same call again) finishes it
 */
export async function hardErase(deps: EraseDeps, person: Person): Promise<Erasure> {
  return serialised(person.personId, async () => runSteps(deps, await beginErase(deps, person)));
}

/**
 * Finishes every erase a stopped process left unfinished (system.ts runs it at start-up).
 * @param owns which spreadsheets this process writes back to: an erase of a `run`'s CSV is
 *   finished by a process with that CSV (and its queue), not by a serve writing to Google.
 * @returns the erases it finished
 */
export async function resumeErasures(deps: EraseDeps, owns: (spreadsheetId: string) => boolean = () => true): Promise<Erasure[]> {
  const open = await deps.catalogue.db.selectFrom('erasures').selectAll().where('finished_at', 'is', null).orderBy('created_at').execute();
  const out: Erasure[] = [];
  for (const r of open) {
    if (!owns(r.spreadsheet_id)) continue;
    (deps.log ?? silentLogger).warn(
      { eraseId: r.erase_id, rowId: r.row_id, step: ERASE_STEPS[Number(r.step)] },
      'finishing an interrupted erase',
    );
    out.push(await serialised(r.person_id, async () => runSteps(deps, r)));
  }
  return out;
}

/** Erases, newest first (the journal is kept as the record of what was erased). */
export async function listErasures(catalogue: Catalogue, f: { spreadsheetId?: string; rowId?: string } = {}): Promise<Erasure[]> {
  let q = catalogue.db.selectFrom('erasures').selectAll().orderBy('created_at', 'desc');
  if (f.spreadsheetId) q = q.where('spreadsheet_id', '=', f.spreadsheetId);
  if (f.rowId) q = q.where('row_id', '=', f.rowId);
  return (await q.execute()).map((r) => toErasure(r));
}

async function runSteps(deps: EraseDeps, start: ErasuresTable): Promise<Erasure> {
  const log = deps.log ?? silentLogger;
  const db = deps.catalogue.db;
  // the current row, re-read after a wait behind another erase of the same person
  let r = (await db.selectFrom('erasures').selectAll().where('erase_id', '=', start.erase_id).executeTakeFirst()) ?? start;
  const cancelled: string[] = [];
  const advance = async (step: number, extra: Partial<ErasuresTable> = {}) => {
    const at = (deps.now ?? (() => new Date()))().toISOString();
    const set = { step, updated_at: at, ...(step === LAST_STEP ? { finished_at: at } : {}), ...extra };
    await db.updateTable('erasures').set(set).where('erase_id', '=', r.erase_id).execute();
    r = { ...r, ...set };
    log.info({ eraseId: r.erase_id, rowId: r.row_id, step: ERASE_STEPS[step] }, 'erase step done');
    await deps.afterStep?.(step, toErasure(r, cancelled));
  };

  if (Number(r.step) < 1) {
    for (const job of await openJobsOf(deps.queue, r.spreadsheet_id, r.row_id)) {
      const done = await deps.queue.cancel(job.jobId);
      deps.abortJob?.(job.jobId);
      if (done?.status === 'cancelled') {
        cancelled.push(job.jobId);
        deps.onCancelled?.(done);
      }
    }
    await advance(1);
  }

  if (Number(r.step) < 2) {
    const { keys, bytes } = await objectsToErase(deps, r);
    // media first, metadata.json last: an interrupted step leaves each folder traceable to its row
    const meta = keys.filter((k) => k.endsWith('/metadata.json'));
    await removeKeys(
      deps.store,
      keys.filter((k) => !k.endsWith('/metadata.json')),
    );
    await removeKeys(deps.store, meta);
    // a retried step finds fewer objects: keep the first count
    await advance(2, Number(r.files) > 0 ? {} : { files: keys.length, bytes: String(bytes) });
  }

  if (Number(r.step) < 3) {
    await deps.catalogue.write(async (trx) => {
      await trx.deleteFrom('assets').where('person_id', '=', r.person_id).execute();
      await trx.deleteFrom('people').where('person_id', '=', r.person_id).execute();
    });
    await advance(3);
  }

  if (Number(r.step) < 4) {
    const row = JSON.parse(r.row) as ErasedRow;
    // the normal write-back: the reporter sends it with the next window (cells.ts writes the cells)
    for (const source of SOURCES as readonly SourceName[]) {
      await deps.outbox.push(projectErased({ ...row, spreadsheetId: r.spreadsheet_id, rowId: r.row_id }, source, r.note));
    }
    await advance(4);
  }
  return toErasure(r, cancelled);
}

/**
 * The objects of an erase: the catalogue's assets of the person, and every key under the row's
 * prefix whose media folder is theirs. A folder is someone else's when its metadata.json names
 * another (spreadsheet, row_id): the same row_id in two spreadsheets shares a prefix (design §5).
 */
async function objectsToErase(deps: EraseDeps, r: ErasuresTable): Promise<{ keys: string[]; bytes: number }> {
  const assets = await deps.catalogue.db.selectFrom('assets').select(['object_key', 'size']).where('person_id', '=', r.person_id).execute();
  const keys = new Set(assets.map((a) => a.object_key));
  let bytes = assets.reduce((n, a) => n + Number(a.size), 0);
  const byFolder = new Map<string, string[]>();
  for await (const key of deps.store.list(rowPrefix(deps.prefix, r.row_id))) {
    const folder = folderOf(key, deps.prefix) ?? '';
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), key]);
  }
  for (const [folder, listed] of byFolder) {
    const meta = folder ? await readMetadata(deps.store, folder + 'metadata.json') : null;
    if (meta && (meta.row.rowId !== r.row_id || meta.row.spreadsheetId !== r.spreadsheet_id)) continue;
    for (const k of listed) {
      if (keys.has(k)) continue;
      keys.add(k);
      bytes += (await deps.store.head(k))?.size ?? 0;
    }
  }
  return { keys: [...keys].sort(), bytes };
}

/**
 * The test hook: `ARCHIVER_TEST_CRASH_AFTER_ERASE_STEP=N` kills this process (SIGKILL, no clean-up)
 * right after step N is journaled, so the crash tests can restart it and see the erase finish.
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv = process.env): EraseDeps['afterStep'] {
  const n = Number(env['ARCHIVER_TEST_CRASH_AFTER_ERASE_STEP']);
  if (!Number.isInteger(n) || n < 1) return undefined;
  return (step) => {
    if (step === n) process.kill(process.pid, 'SIGKILL');
  };
}
