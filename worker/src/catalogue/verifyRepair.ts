/**
 * `verify --repair` (issue 10 item 7): what is done about each finding of verifyArchive.
 *  - missing / corrupt file: the corrupt file and its folder's metadata.json are removed, so the
 *    source's "already stored" check (isArchived) and yt-dlp's --download-archive no longer skip the
 *    item, and a job for that row, source and link (the row context from metadata.json) is returned
 *    for the caller to run or enqueue;
 *  - uncatalogued: the metadata.json is applied to the catalogue;
 *  - catalogue_only: the catalogue rows no metadata.json lists are removed (as `catalogue rebuild` prunes);
 *  - orphan: reported only; removed with `deleteOrphans`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DispatchOptionsSchema } from '../../../shared/schemas.js';
import type { NewJob } from '../jobs/types.js';
import { readMetadata, type MediaMetadata } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import type { Catalogue } from './repository.js';
import type { Finding } from './verify.js';

export interface RepairPlan {
  /** re-download jobs, one per (spreadsheet, row, source, link) */
  jobs: NewJob[];
  /** metadata.json files applied to the catalogue */
  catalogued: number;
  /** catalogue assets removed */
  pruned: number;
  /** orphaned objects deleted (only with deleteOrphans) */
  orphansDeleted: number;
  /** findings that could not be repaired, with why */
  unrepaired: { key: string; reason: string }[];
}

/**
 * Prepares the repair of `findings`: changes storage and the catalogue as the module comment says
 * and returns the jobs that download again what was lost.
 * @throws ArchiveError('file_io'|'network') when storage or the catalogue refuse a change
 */
export async function prepareRepair(
  store: ObjectStore,
  catalogue: Catalogue | null,
  findings: Finding[],
  o: { deleteOrphans?: boolean; dispatchId?: string } = {},
): Promise<RepairPlan> {
  const plan: RepairPlan = { jobs: [], catalogued: 0, pruned: 0, orphansDeleted: 0, unrepaired: [] };
  const dispatchId = o.dispatchId ?? randomUUID();
  const folders = new Map<string, Finding[]>();
  for (const f of findings) {
    if ((f.kind === 'missing' || f.kind === 'corrupt') && f.metadataKey)
      folders.set(f.metadataKey, [...(folders.get(f.metadataKey) ?? []), f]);
  }
  const seenJobs = new Set<string>();
  for (const [metadataKey, bad] of folders) {
    const meta = await readMetadata(store, metadataKey);
    if (!meta) {
      for (const f of bad)
        plan.unrepaired.push({ key: f.key, reason: 'its metadata.json cannot be read, so the row and link are unknown' });
      continue;
    }
    for (const f of bad) if (f.kind === 'corrupt' && f.key !== metadataKey) await store.remove(f.key);
    await store.remove(metadataKey);
    const job = jobFor(meta, dispatchId);
    const id = JSON.stringify([job.spreadsheetId, job.sheetName, job.rowId, job.source, job.links]);
    if (!seenJobs.has(id)) {
      seenJobs.add(id);
      plan.jobs.push(job);
    }
  }

  if (catalogue) {
    const apply = [
      ...new Set(
        findings.filter((f) => f.kind === 'uncatalogued' && f.metadataKey && !folders.has(f.metadataKey)).map((f) => f.metadataKey!),
      ),
    ];
    for (const key of apply) {
      const text = await store.getText(key);
      if (text === null) continue;
      const meta = JSON.parse(text) as MediaMetadata;
      const stored = { key, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
      await catalogue.write((trx) => catalogue.applyMetadata(trx, meta, stored, store));
      plan.catalogued++;
    }
    const prune = findings.filter((f) => f.kind === 'catalogue_only').map((f) => f.key);
    if (prune.length) {
      const r = await catalogue.write((trx) =>
        trx.deleteFrom('assets').where('object_key', 'in', prune).where('status', '=', 'stored').executeTakeFirst(),
      );
      plan.pruned = Number(r.numDeletedRows);
    }
  }

  if (o.deleteOrphans) {
    for (const f of findings) {
      if (f.kind !== 'orphan') continue;
      await store.remove(f.key);
      plan.orphansDeleted++;
    }
  }
  return plan;
}

/** The job that archives one media item's link again, for the row metadata.json names. */
export function jobFor(meta: MediaMetadata, dispatchId: string): NewJob {
  const r = meta.row;
  return {
    dispatchId,
    spreadsheetId: r.spreadsheetId,
    sheetId: r.sheetId ?? 0,
    sheetName: r.sheetName ?? '',
    rowId: r.rowId,
    // a hint only: the write-back finds the row by row_id (docs/design.md §1)
    rowNumber: 0,
    name: r.name ?? '',
    email: r.email ?? '',
    type: r.type ?? '',
    source: meta.source,
    links: [meta.url],
    attempt: 1,
    options: DispatchOptionsSchema.parse({ sources: [meta.source] }),
  };
}
