/**
 * Archiving a link the Drive API can read — a file, a Google-native document, or a folder with
 * everything below it: list the entries (tree.ts), plan their keys and what a retry keeps
 * (plan.ts), fetch the rest (fetch.ts), write metadata.json (metadata.ts). Some files failing
 * still archives the others and reports the error; all failing throws. When Drive's copy is
 * unchanged and stored whole, nothing is written at all; when it changed, the new version goes
 * beside the old ones (versions.ts).
 */
import { ArchiveError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { writeMetadata, type MediaMetadata } from '../../storage/metadata.js';
import type { StoredObject } from '../../storage/types.js';
import type { LinkResult, RowContext, SourceContext } from '../types.js';
import { labelOf } from './download.js';
import { summarize } from './failures.js';
import { fetchPlanned } from './fetch.js';
import { apiMetadata, collectEntries, storedMetadata } from './metadata.js';
import { plan } from './plan.js';
import { progressFor } from './progress.js';
import type { DriveSettings } from './settings.js';
import { listFolder, singleFileTree } from './tree.js';
import { FOLDER_MIME, type DriveFile } from './types.js';
import { supersededRecord, versionHistory } from './versions.js';
import { metadataKey } from '../../storage/layout.js';

/** A link whose item the API has read. */
export interface ApiLink {
  /** the link as it was in the sheet */
  link: string;
  /** the link's Drive id: the media id everything is stored under */
  mediaId: string;
  /** the item archived: the link's file or folder, or a shortcut's target */
  target: DriveFile;
  /** the shortcut the link is, when it is one */
  shortcut?: DriveFile | undefined;
  /** resource keys of the link's item and target (`id → key`) */
  rootKeys: Map<string, string>;
  row: RowContext;
  /** the link's previous metadata.json, for a retry */
  previous: MediaMetadata | null;
  log: Logger;
}

/**
 * True when this run would rewrite the previous metadata.json with the same facts: every entry
 * kept, none failed, no new version, the previous copy complete with as many entries, and the
 * row's facts (name, email, type, sheet) the same. Then nothing is written (no put at all).
 */
function unchanged(a: ApiLink, planned: readonly { reuse?: unknown }[], failed: number, newVersion: boolean): boolean {
  const p = a.previous;
  if (!p || newVersion || failed > 0 || !planned.every((x) => x.reuse) || p.extra?.['via'] !== 'api' || p.extra['complete'] !== true)
    return false;
  const entries = p.extra['entries'];
  if (!Array.isArray(entries) || entries.length !== planned.length) return false;
  if (p.url !== a.link || JSON.stringify(p.row) !== JSON.stringify(a.row)) return false;
  return true;
}

/**
 * Archives the file or folder of `a` into `<prefix>/<row_id>/drive/<mediaId>/…` with its metadata.json.
 * @returns the stored objects and, when some files failed, the error to report (see summarize).
 * @throws ArchiveError when nothing could be archived, or a single file's type cannot be exported.
 */
export async function archiveApi(r: DriveSettings, a: ApiLink, ctx: SourceContext): Promise<LinkResult> {
  const { target, row, mediaId, log } = a;
  const isFolder = target.mimeType === FOLDER_MIME;
  const tree = isFolder ? await listFolder(r, target, a.rootKeys, ctx, log) : singleFileTree(target, a.rootKeys);

  const { planned, skipped, version, newVersion } = await plan(r, tree, a.previous, row.rowId, mediaId, ctx);
  if (!isFolder && skipped.length) {
    throw new ArchiveError('validation', `Drive file ${labelOf(target)} (${target.mimeType}) cannot be archived: ${skipped[0]!.reason}`);
  }

  const progress = progressFor(planned, ctx.onProgress);
  const { results, failures, via } = await fetchPlanned(r, planned, row.rowId, progress, ctx, log);
  const { files, entries } = collectEntries(planned, results);
  if (files.length === 0 && failures.length > 0) throw summarize(failures, planned.length);

  const stored: StoredObject[] = files.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256, ...(f.md5 ? { md5: f.md5 } : {}) }));
  if (unchanged(a, planned, failures.length, newVersion)) {
    log.info({ files: files.length, version }, 'drive: unchanged since the last archive, nothing written');
    return {
      mediaIds: [mediaId],
      files: [...stored, await storedMetadata(ctx.store, metadataKey(ctx.prefix, row.rowId, 'drive', mediaId))],
    };
  }

  const versions = versionHistory(a.previous);
  if (newVersion && a.previous) {
    const replaced = supersededRecord(a.previous, new Set(files.map((f) => f.key)));
    if (replaced) versions.push(replaced);
  }
  const metadata = apiMetadata({
    row,
    link: a.link,
    mediaId,
    target,
    shortcut: a.shortcut,
    isFolder,
    tree,
    skipped,
    entries,
    files,
    via,
    failures,
    version,
    versions,
  });
  const metaStored = await writeMetadata(ctx.store, ctx.prefix, metadata);
  log.info(
    { files: files.length, failed: failures.length, reused: planned.filter((p) => p.reuse).length, version },
    'drive: link archived',
  );
  return {
    mediaIds: [mediaId],
    files: [...stored, metaStored],
    ...(failures.length ? { error: summarize(failures, planned.length) } : {}),
  };
}
