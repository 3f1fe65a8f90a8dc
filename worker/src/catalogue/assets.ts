/**
 * From one metadata.json to catalogue rows (docs/design.md §8): the person it belongs to and one
 * asset per stored file in its media folder, metadata.json included. The live write (sink.ts) and
 * the rebuild (rebuild.ts) both go through here, so a rebuilt catalogue equals the live one.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { SourceName } from '../../../shared/columns.js';
import { underlyingStore } from '../storage/attempt.js';
import type { MediaMetadata } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import type { AssetKind, AssetsTable, PeopleTable } from './schema.js';

const hex = (s: string, n: number) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, n);

/** The person id of (spreadsheet id, row_id): the same row_id in two spreadsheets is two people. */
export function personIdOf(spreadsheetId: string, rowId: string): string {
  return `p_${hex(`${spreadsheetId}\u0000${rowId}`, 24)}`;
}

/** The asset id of an object key. */
export function assetIdOf(objectKey: string): string {
  return `a_${hex(objectKey, 24)}`;
}

const SUBTITLE_EXT = new Set(['vtt', 'srt', 'ass', 'ssa', 'ttml', 'srv1', 'srv2', 'srv3', 'json3', 'lrc', 'sbv']);
const VIDEO_EXT = new Set(['mp4', 'webm', 'mkv', 'mov', 'ts', 'm4v', 'avi', 'flv', '3gp']);
const AUDIO_EXT = new Set(['m4a', 'mp3', 'opus', 'ogg', 'oga', 'wav', 'flac', 'aac', 'weba']);
const IMAGE_EXT = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif']);

/** Drive's entry for an object key in `extra.entries` (mimeType, modifiedTime, headRevisionId), or in an earlier version's. */
function driveEntryOf(meta: MediaMetadata, key: string, entries: unknown = meta.extra?.['entries']): Record<string, unknown> | undefined {
  if (!Array.isArray(entries)) return undefined;
  return entries.find((e) => Array.isArray((e as { keys?: unknown }).keys) && (e as { keys: string[] }).keys.includes(key)) as
    Record<string, unknown> | undefined;
}

/**
 * The kind of a stored file, by its name and, for Drive, the item's MIME type.
 * Google-native items (Docs, Sheets, Slides) are `export`s; other Drive files `document`s unless
 * they are audio or video.
 */
export function kindOf(source: SourceName, key: string, mimeType?: string): AssetKind {
  const name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'metadata.json') return 'metadata';
  if (source === 'youtube') {
    if (name.endsWith('.info.json')) return 'info';
    if (/(^|\.)comments\.json$/.test(name)) return 'comments';
  }
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  if (source === 'drive') {
    if (mimeType?.startsWith('application/vnd.google-apps.')) return 'export';
    if (mimeType?.startsWith('video/') || (!mimeType && VIDEO_EXT.has(ext))) return 'video';
    if (mimeType?.startsWith('audio/') || (!mimeType && AUDIO_EXT.has(ext))) return 'audio';
    return 'document';
  }
  if (SUBTITLE_EXT.has(ext)) return 'subtitles';
  if (ext === 'txt') return 'transcript';
  if (IMAGE_EXT.has(ext)) return 'thumbnail';
  if (AUDIO_EXT.has(ext)) return 'audio';
  if (VIDEO_EXT.has(ext)) return 'video';
  if (ext === 'json') return 'info';
  return 'document';
}

/** Where an object is, for people: `s3://bucket/<bucket key>` or the local file's `file://` URL. */
export function storageUrlOf(store: ObjectStore, key: string): string {
  const s = underlyingStore(store) as ObjectStore & {
    bucket?: string;
    objectKeyOf?: (k: string) => string;
    pathOf?: (k: string) => string;
  };
  if (s.kind === 's3' && s.bucket && s.objectKeyOf) return `s3://${s.bucket}/${s.objectKeyOf(key)}`;
  if (s.pathOf) return pathToFileURL(s.pathOf(key)).href;
  return key;
}

/** The person row a metadata.json describes, with `at` as created/updated time. */
export function personOf(meta: MediaMetadata, at: string): PeopleTable {
  const r = meta.row;
  return {
    person_id: personIdOf(r.spreadsheetId, r.rowId),
    spreadsheet_id: r.spreadsheetId,
    row_id: r.rowId,
    name: r.name ?? '',
    email: r.email ?? '',
    type: r.type ?? '',
    sheet_id: typeof r.sheetId === 'number' ? r.sheetId : null,
    sheet_name: r.sheetName ?? '',
    row_number: null,
    links: '[]',
    search: `${r.name ?? ''} ${r.email ?? ''} ${r.rowId}`.toLowerCase(),
    facts_at: meta.archivedAt,
    created_at: at,
    updated_at: at,
  };
}

/** The media facts every asset of a folder carries (`media` JSON). */
function mediaFacts(meta: MediaMetadata): Record<string, unknown> {
  const x = meta.extra ?? {};
  const pick = (k: string) => (x[k] !== undefined ? { [k]: x[k] } : {});
  return {
    ...(meta.title !== undefined ? { title: meta.title } : {}),
    ...(meta.duration !== undefined ? { duration: meta.duration } : {}),
    ...(meta.uploader !== undefined ? { uploader: meta.uploader } : {}),
    chapters: Array.isArray(x['chapters']) ? x['chapters'] : [],
    ...pick('kind'),
    ...pick('mimeType'),
    ...pick('channel'),
    ...pick('upload_date'),
    ...pick('webpage_url'),
    ...pick('modifiedTime'),
    ...pick('headRevisionId'),
    ...pick('playlistId'),
    tools: meta.tools ?? {},
  };
}

/** What the store said about the metadata.json object itself. */
export interface MetadataObject {
  key: string;
  size: number;
  sha256: string;
}

/** A file of a metadata.json with the archive version it belongs to (Drive keeps earlier versions, `extra.versions`). */
export interface VersionedFile {
  file: { key: string; size: number; sha256: string; md5?: string };
  /** archive version (1, 2, …); the current one for every file of a YouTube item */
  version: number;
  current: boolean;
  /** the Drive entries of that version, for MIME type and revision */
  entries: unknown;
}

/**
 * Every file a metadata.json lists: the current ones, then the earlier versions' files that the
 * current version replaced (Drive, `extra.versions`; docs/catalogue.md "Versions of Docs and Drive files").
 */
export function versionedFiles(meta: MediaMetadata): VersionedFile[] {
  const x = meta.extra ?? {};
  const current = typeof x['version'] === 'number' ? (x['version'] as number) : 1;
  const out: VersionedFile[] = (meta.files ?? []).map((file) => ({ file, version: current, current: true, entries: x['entries'] }));
  const older =
    meta.source === 'drive' && Array.isArray(x['versions'])
      ? (x['versions'] as { version?: unknown; files?: unknown; entries?: unknown }[])
      : [];
  for (const v of [...older].reverse()) {
    if (typeof v?.version !== 'number' || !Array.isArray(v.files)) continue;
    for (const file of v.files as VersionedFile['file'][]) out.push({ file, version: v.version, current: false, entries: v.entries });
  }
  return out;
}

/**
 * The asset rows of one metadata.json: each listed file inside its media folder (a playlist's
 * metadata.json lists its entries' metadata.json files, which belong to their own folders), the
 * files of earlier Drive versions it records (`current: false` in `media`), then metadata.json
 * itself. `tags`/`note`/`status` are defaults; an upsert keeps the stored ones.
 */
export function assetsOf(meta: MediaMetadata, metadata: MetadataObject, store: ObjectStore, at: string): AssetsTable[] {
  const folder = metadata.key.slice(0, metadata.key.length - 'metadata.json'.length);
  const personId = personIdOf(meta.row.spreadsheetId, meta.row.rowId);
  const facts = mediaFacts(meta);
  const current = typeof meta.extra?.['version'] === 'number' ? (meta.extra['version'] as number) : 1;
  const files: VersionedFile[] = [
    ...versionedFiles(meta).filter((v) => v.file.key.startsWith(folder) && v.file.key !== metadata.key),
    {
      file: { key: metadata.key, size: metadata.size, sha256: metadata.sha256 },
      version: current,
      current: true,
      entries: meta.extra?.['entries'],
    },
  ];
  const seen = new Set<string>();
  const out: AssetsTable[] = [];
  for (const v of files) {
    const f = v.file;
    if (seen.has(f.key)) continue;
    seen.add(f.key);
    const entry = meta.source === 'drive' ? driveEntryOf(meta, f.key, v.entries) : undefined;
    const mime =
      typeof entry?.['mimeType'] === 'string' && entry['mimeType']
        ? (entry['mimeType'] as string)
        : (meta.extra?.['mimeType'] as string | undefined);
    const revision = (entry?.['headRevisionId'] ??
      entry?.['modifiedTime'] ??
      (v.current ? (meta.extra?.['headRevisionId'] ?? meta.extra?.['modifiedTime']) : undefined)) as string | undefined;
    // Drive items say which archive version each file is; YouTube media has one version
    const media = JSON.stringify(
      meta.source === 'drive'
        ? {
            ...facts,
            ...(v.current ? {} : { modifiedTime: entry?.['modifiedTime'], headRevisionId: entry?.['headRevisionId'] }),
            version: v.version,
            current: v.current,
          }
        : facts,
    );
    const fileName = f.key.slice(f.key.lastIndexOf('/') + 1);
    const md5 = (f as { md5?: string }).md5;
    out.push({
      asset_id: assetIdOf(f.key),
      person_id: personId,
      spreadsheet_id: meta.row.spreadsheetId,
      row_id: meta.row.rowId,
      source: meta.source,
      kind: kindOf(meta.source, f.key, f.key === metadata.key ? undefined : mime),
      media_id: meta.mediaId,
      link: meta.url ?? '',
      object_key: f.key,
      metadata_key: metadata.key,
      storage_url: storageUrlOf(store, f.key),
      file_name: fileName,
      size: f.size,
      sha256: f.sha256,
      md5: md5 ?? null,
      revision: meta.source === 'drive' && revision ? String(revision) : null,
      status: 'stored',
      tags: '[]',
      note: '',
      title: meta.title ?? null,
      uploader: meta.uploader ?? null,
      duration: typeof meta.duration === 'number' ? meta.duration : null,
      media,
      search: `${meta.title ?? ''} ${meta.uploader ?? ''} ${fileName}`.toLowerCase(),
      archived_at: meta.archivedAt,
      created_at: at,
      updated_at: at,
      deleted_at: null,
    });
  }
  return out;
}

/** True when `meta` has the shape of a metadata.json this code can catalogue. */
export function isCataloguable(meta: unknown): meta is MediaMetadata {
  const m = meta as MediaMetadata | null;
  return (
    !!m &&
    typeof m.row?.rowId === 'string' &&
    typeof m.row?.spreadsheetId === 'string' &&
    (m.source === 'youtube' || m.source === 'drive') &&
    typeof m.mediaId === 'string' &&
    Array.isArray(m.files) &&
    typeof m.archivedAt === 'string'
  );
}
