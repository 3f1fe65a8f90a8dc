/**
 * The Drive source's metadata.json (design §5): what a link archived through the API or the
 * public flow, traced to its row, with `extra.entries` — what a retry reads (reuse.ts) to keep
 * what is already stored.
 */
import { createHash } from 'node:crypto';
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { ObjectStore, StoredObject } from '../../storage/types.js';
import type { ArchiveError } from '../../errors.js';
import { VERSION } from '../../version.js';
import type { RowContext, SourceContext } from '../types.js';
import type { Failure } from './failures.js';
import type { FolderTree, SkippedItem } from './folder.js';
import type { PlannedEntry } from './plan.js';
import type { PublicDownloadResult } from './public.js';
import type { VersionRecord } from './versions.js';
import { NATIVE_KINDS, type DriveFile } from './types.js';

/** What metadata.json records per Drive item (`extra.entries`), used by a retry to skip what is stored. */
export interface EntryRecord {
  id: string;
  /** path below the link's folder, Drive names joined by `/` */
  path: string;
  mimeType: string;
  size?: number;
  md5Checksum?: string;
  modifiedTime?: string;
  /** binary files: Drive's head revision (native files have none; docs/catalogue.md "Versions") */
  headRevisionId?: string;
  /** Drive's `version` counter, recorded for reference; not compared (it moves on changes nobody sees) */
  driveVersion?: string;
  shortcutId?: string;
  /** keys of the objects written for it (one per export format for native files) */
  keys: string[];
}

const TOOLS = { 'sheet-archiver': VERSION, 'drive-api': 'v3' };

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The row a job's objects are traced back to. */
export function rowOf(ctx: SourceContext): RowContext {
  const j = ctx.job;
  return {
    rowId: j.rowId,
    name: j.name,
    email: j.email,
    type: j.type,
    spreadsheetId: j.spreadsheetId,
    sheetId: j.sheetId,
    sheetName: j.sheetName,
  };
}

/** The fields every Drive metadata.json has, around its `extra` and `files`. */
function driveMetadata(
  row: RowContext,
  mediaId: string,
  link: string,
  title: string,
  extra: Record<string, unknown>,
  files: MetadataFile[],
): MediaMetadata {
  return { schema: 1, row, source: 'drive', mediaId, url: link, title, extra, files, archivedAt: isoNow(), tools: TOOLS };
}

/** The stored files and the entry records of the planned entries that were archived (fetched or kept), in plan order. */
export function collectEntries(
  planned: readonly PlannedEntry[],
  results: ReadonlyMap<number, MetadataFile[]>,
): { files: MetadataFile[]; entries: EntryRecord[] } {
  const files: MetadataFile[] = [];
  const entries: EntryRecord[] = [];
  planned.forEach((p, i) => {
    const got = results.get(i);
    if (!got) return;
    files.push(...got);
    const f = p.entry.file;
    entries.push({
      id: f.id!,
      path: p.path,
      mimeType: f.mimeType ?? '',
      ...(f.size != null ? { size: Number(f.size) } : {}),
      ...(f.md5Checksum ? { md5Checksum: f.md5Checksum } : {}),
      ...(f.modifiedTime ? { modifiedTime: f.modifiedTime } : {}),
      ...(f.headRevisionId ? { headRevisionId: f.headRevisionId } : {}),
      ...(f.version ? { driveVersion: String(f.version) } : {}),
      ...(p.entry.shortcutId ? { shortcutId: p.entry.shortcutId } : {}),
      keys: got.map((g) => g.key),
    });
  });
  return { files, entries };
}

/** What a link archived through the API, for apiMetadata. */
export interface ApiArchived {
  row: RowContext;
  link: string;
  mediaId: string;
  /** the item archived (a shortcut's target when the link is a shortcut) */
  target: DriveFile;
  shortcut?: DriveFile | undefined;
  isFolder: boolean;
  tree: FolderTree;
  /** left out while planning (native types that cannot be exported) */
  skipped: SkippedItem[];
  entries: EntryRecord[];
  files: MetadataFile[];
  /** how each export was fetched, by object key */
  via: ReadonlyMap<string, string>;
  failures: Failure[];
  /** the archive version these files are (1, 2, …) and the earlier versions kept (versions.ts) */
  version?: number;
  versions?: readonly VersionRecord[];
}

/** The metadata.json of a link archived through the API (`extra.via: 'api'`); `complete` when nothing failed. */
export function apiMetadata(a: ApiArchived): MediaMetadata {
  const { target, shortcut, isFolder } = a;
  const kind = isFolder ? 'folder' : (NATIVE_KINDS[target.mimeType ?? ''] ?? 'file');
  const extra = {
    kind,
    via: 'api',
    mimeType: target.mimeType,
    ...(target.driveId ? { driveId: target.driveId } : {}),
    ...(shortcut ? { shortcut: { id: shortcut.id, name: shortcut.name, targetId: target.id } } : {}),
    ...(!isFolder && target.size != null ? { size: Number(target.size) } : {}),
    ...(!isFolder && target.md5Checksum ? { md5Checksum: target.md5Checksum } : {}),
    ...(target.modifiedTime ? { modifiedTime: target.modifiedTime } : {}),
    ...(!isFolder && target.headRevisionId ? { headRevisionId: target.headRevisionId } : {}),
    ...(a.version && a.version > 1 ? { version: a.version } : {}),
    ...(a.versions?.length ? { versions: a.versions } : {}),
    ...(isFolder ? { folders: a.tree.folders, fileCount: a.entries.length } : {}),
    ...(a.via.size ? { exportedVia: Object.fromEntries(a.via) } : {}),
    entries: a.entries,
    skipped: [...a.tree.skipped, ...a.skipped],
    failed: a.failures.map((f) => ({ id: f.id, path: f.path, category: f.error.category, message: f.error.message })),
    complete: a.failures.length === 0,
  };
  return driveMetadata(a.row, a.mediaId, a.link, target.name ?? a.mediaId, extra, a.files);
}

/**
 * The metadata.json of a file archived through the public download flow (`extra.via: 'public'`,
 * always complete), noting the API error that sent it there.
 */
export function publicMetadata(
  row: RowContext,
  link: string,
  mediaId: string,
  result: PublicDownloadResult,
  apiError: ArchiveError | null,
): MediaMetadata {
  const s = result.stored;
  const rel = s.key.slice(s.key.lastIndexOf('/') + 1);
  const extra = {
    kind: 'file',
    via: 'public',
    ...(result.contentType ? { mimeType: result.contentType } : {}),
    ...(result.size !== undefined ? { size: result.size } : {}),
    virusScanConfirmed: result.confirmed,
    ...(apiError ? { apiError: `${apiError.category}: ${apiError.message}` } : {}),
    entries: [{ id: mediaId, path: result.name, mimeType: result.contentType ?? '', keys: [s.key] }],
    complete: true,
  };
  return driveMetadata(row, mediaId, link, result.name, extra, [{ key: s.key, size: s.size, sha256: s.sha256, path: rel }]);
}

/** The stored object of a metadata.json already in the store: its key, size and SHA-256 (of '' when it is gone). */
export async function storedMetadata(store: ObjectStore, key: string): Promise<StoredObject> {
  const text = (await store.getText(key)) ?? '';
  return { key, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}
