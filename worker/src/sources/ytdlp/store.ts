/**
 * Storing what yt-dlp downloaded: each item's files under
 * `<prefix>/<row_id>/youtube/<media_id>/<file>` and its metadata.json (design §5); the
 * `playlist:<id>` / `channel:<id>` metadata.json that lists a collection's entries; and reading
 * back what was archived before (a retry skips it but still reports its files, and yt-dlp's
 * `--download-archive` file is made from it).
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { metadataKey, objectKey } from '../../storage/layout.js';
import { archiveLine } from './mediaIds.js';
import { readMetadata, writeMetadata, type MediaMetadata, type MetadataFile } from '../../storage/metadata.js';
import type { ObjectStore, StoredObject } from '../../storage/types.js';
import type { RowContext, SourceContext } from '../types.js';
import type { DownloadedItem } from './progress.js';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.mp3': 'audio/mpeg',
  '.opus': 'audio/ogg',
  '.ogg': 'audio/ogg',
  '.vtt': 'text/vtt',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ts': 'video/mp2t',
};

/** The row context of a job, as metadata.json records it. */
export function rowContextOf(ctx: SourceContext): RowContext {
  const { rowId, name, email, type, spreadsheetId, sheetId, sheetName } = ctx.job;
  return { rowId, name, email, type, spreadsheetId, sheetId, sheetName };
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The facts metadata.json keeps from yt-dlp's info JSON. */
function factsOf(
  info: Record<string, unknown>,
): Pick<MediaMetadata, 'title' | 'duration' | 'uploader'> & { extra: Record<string, unknown> } {
  const s = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : undefined);
  const n = (k: string) => (typeof info[k] === 'number' ? (info[k] as number) : undefined);
  const extra: Record<string, unknown> = {};
  for (const k of [
    'chapters',
    'extractor',
    'extractor_key',
    'webpage_url',
    'channel',
    'channel_id',
    'uploader_id',
    'upload_date',
    'description',
    'playlist_id',
    'playlist_index',
    'width',
    'height',
    'ext',
    'format',
  ]) {
    if (info[k] !== undefined && info[k] !== null) extra[k] = info[k];
  }
  const out: Pick<MediaMetadata, 'title' | 'duration' | 'uploader'> & { extra: Record<string, unknown> } = { extra };
  const title = s('title') ?? s('fulltitle');
  if (title !== undefined) out.title = title;
  const duration = n('duration');
  if (duration !== undefined) out.duration = duration;
  const uploader = s('uploader') ?? s('channel');
  if (uploader !== undefined) out.uploader = uploader;
  return out;
}

export interface StoreItemOptions {
  /** store the info JSON's comments as comments.json, at most this many (row option `comments=yes`) */
  maxComments?: number;
}

/** The object name of an item's comments (design §1 `comments=yes`). */
export const COMMENTS_FILE = 'comments.json';

/** A file's stored name: yt-dlp's `<id>.<ext>` renamed to `<media id>.<ext>` when the media id was derived (mediaIds.ts). */
function fileName(item: DownloadedItem, path: string): string {
  const name = basename(path);
  return item.ytdlpId && name.startsWith(`${item.ytdlpId}.`) ? item.id + name.slice(item.ytdlpId.length) : name;
}

/**
 * Writes the comments yt-dlp put in the info JSON (`--write-comments`) to `path`, keeping the first
 * `max`: `{ mediaId, sourceCount, kept, max, comments: [...] }`, each comment as yt-dlp gives it
 * (id, parent, author, text, timestamp, like_count…).
 * @returns `path`, or null when the info JSON holds no comments list.
 */
export async function writeComments(info: Record<string, unknown>, mediaId: string, max: number, path: string): Promise<string | null> {
  const all = info['comments'];
  if (!Array.isArray(all)) return null;
  const comments = all.slice(0, Math.max(0, Math.floor(max)));
  const sourceCount = typeof info['comment_count'] === 'number' ? info['comment_count'] : null;
  await writeFile(path, JSON.stringify({ mediaId, sourceCount, kept: comments.length, max, comments }, null, 2) + '\n');
  return path;
}

/**
 * Uploads one downloaded item's files (those that exist) and writes its metadata.json, each file
 * listed with its kind (media, subtitles, thumbnail, info, comments). With `opts.maxComments`, the
 * info JSON's comments are stored as comments.json.
 * @returns every stored object, metadata.json last.
 * @throws ArchiveError('file_io') from the store.
 */
export async function storeItem(
  item: DownloadedItem,
  ctx: SourceContext,
  link: string,
  tools: Record<string, string>,
  extra: Record<string, unknown> = {},
  opts: StoreItemOptions = {},
): Promise<StoredObject[]> {
  const row = rowContextOf(ctx);
  let info: Record<string, unknown> = {};
  if (item.infoJsonPath) {
    try {
      info = JSON.parse(await readFile(item.infoJsonPath, 'utf8')) as Record<string, unknown>;
    } catch {
      /* no info JSON: the metadata keeps what the print line said */
    }
  }
  const paths: { path: string; kind: string; name?: string }[] = [
    ...item.mediaPaths.map((path) => ({ path, kind: 'media' })),
    ...Object.values(item.subtitlePaths).map((path) => ({ path, kind: 'subtitles' })),
    ...item.thumbnailPaths.map((path) => ({ path, kind: 'thumbnail' })),
  ];
  if (item.infoJsonPath) paths.push({ path: item.infoJsonPath, kind: 'info' });
  if (opts.maxComments && item.infoJsonPath) {
    const path = await writeComments(info, item.id, opts.maxComments, join(dirname(item.infoJsonPath), `${item.id}.comments.tmp`));
    if (path) paths.push({ path, kind: 'comments', name: COMMENTS_FILE });
  }
  const stored: StoredObject[] = [];
  const kinds = new Map<string, string>();
  const seen = new Set<string>();
  for (const { path: p, kind, name } of paths) {
    if (seen.has(p) || !(await exists(p))) continue;
    seen.add(p);
    const key = objectKey(ctx.prefix, row.rowId, 'youtube', item.id, name ?? fileName(item, p));
    const contentType = CONTENT_TYPES[extname(name ?? p).toLowerCase()];
    stored.push(await ctx.store.putFile(key, p, { rowId: row.rowId, signal: ctx.signal, ...(contentType ? { contentType } : {}) }));
    kinds.set(key, kind);
  }
  const facts = factsOf(info);
  // what yt-dlp's --download-archive knows this item by, so a later run of the link skips it
  const archiveId = archiveLine(item.extractorKey ?? (facts.extra['extractor_key'] as string | undefined), item.ytdlpId ?? item.id);
  const meta: MediaMetadata = {
    schema: 1,
    row,
    source: 'youtube',
    mediaId: item.id,
    url: link,
    ...facts,
    extra: { ...facts.extra, ...(item.ytdlpId ? { ytdlpId: item.ytdlpId } : {}), ...(archiveId ? { archiveId } : {}), ...extra },
    files: stored.map((o): MetadataFile => ({
      key: o.key,
      size: o.size,
      sha256: o.sha256,
      ...(kinds.has(o.key) ? { kind: kinds.get(o.key)! } : {}),
    })),
    archivedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    tools,
  };
  if (meta.title === undefined && item.title) meta.title = item.title;
  stored.push(await writeMetadata(ctx.store, ctx.prefix, meta));
  return stored;
}

/**
 * The stored objects of an item archived before: its files from its metadata.json, plus the
 * metadata.json itself (hashed as read).
 * @returns null when the item has no readable metadata.json.
 */
export async function storedItem(
  store: ObjectStore,
  prefix: string,
  rowId: string,
  mediaId: string,
): Promise<{ meta: MediaMetadata; objects: StoredObject[] } | null> {
  const key = metadataKey(prefix, rowId, 'youtube', mediaId);
  const text = await store.getText(key);
  if (text === null) return null;
  const meta = await readMetadata(store, key);
  if (!meta) return null;
  const self: StoredObject = { key, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
  return { meta, objects: [...meta.files.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256 })), self] };
}

/** An item archived before from one link, as storedForLink finds it. */
export interface StoredEntry {
  meta: MediaMetadata;
  /** its files, then its metadata.json */
  objects: StoredObject[];
  /** its `--download-archive` line; null when its extractor is unknown */
  archiveId: string | null;
  /** its index in the collection it was archived from; absent for a single video */
  index?: number;
}

const isCollectionId = (id: string) => id.startsWith('playlist:') || id.startsWith('channel:');

/**
 * Every item the row holds that was archived from `link` (metadata.json `url` equal to it),
 * collection records excluded: a playlist's, channel's or page's entries, or the one video of a
 * single link. One list of the row's youtube folder, then one read per metadata.json.
 */
export async function storedForLink(store: ObjectStore, prefix: string, rowId: string, link: string): Promise<StoredEntry[]> {
  const probe = metadataKey(prefix, rowId, 'youtube', 'x');
  const rowPrefix = probe.slice(0, probe.length - 'x/metadata.json'.length);
  const keys: string[] = [];
  for await (const key of store.list(rowPrefix)) if (/^[^/]+\/metadata\.json$/.test(key.slice(rowPrefix.length))) keys.push(key);
  const out: StoredEntry[] = [];
  for (const key of keys) {
    const text = await store.getText(key);
    if (text === null) continue;
    let meta: MediaMetadata;
    try {
      meta = JSON.parse(text) as MediaMetadata;
    } catch {
      continue; // unreadable: fetched again
    }
    if (meta?.url !== link || typeof meta.mediaId !== 'string' || isCollectionId(meta.mediaId) || !Array.isArray(meta.files)) continue;
    const x = meta.extra ?? {};
    const archiveId =
      typeof x['archiveId'] === 'string'
        ? x['archiveId']
        : archiveLine(typeof x['extractor_key'] === 'string' ? x['extractor_key'] : undefined, meta.mediaId);
    const pl = x['playlist'] as { index?: unknown } | undefined;
    const self: StoredObject = { key, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
    const entry: StoredEntry = {
      meta,
      objects: [...meta.files.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256 })), self],
      archiveId,
    };
    if (pl && typeof pl.index === 'number') entry.index = pl.index;
    out.push(entry);
  }
  return out;
}

/** One entry of a playlist's metadata.json (`extra.entries`). */
export interface PlaylistEntryRecord {
  mediaId: string;
  index?: number;
  title?: string;
  /** archived: its metadata.json exists; failed: this attempt could not archive it */
  status: 'archived' | 'failed';
  metadataKey?: string;
}

/** A collection as its metadata.json records it. */
export interface CollectionRecord {
  /** `playlist:<id>` or `channel:<id>` */
  mediaId: string;
  kind: 'playlist' | 'channel';
  /** yt-dlp's id of the playlist or channel tab */
  id: string;
  title?: string;
  uploader?: string;
  /** entries it has, as yt-dlp counted them */
  count: number;
  /** more facts for `extra` (a channel's tab and cap) */
  extra?: Record<string, unknown>;
}

/**
 * Writes the `playlist:<id>` or `channel:<id>` metadata.json listing the collection's entries.
 * `files` are the entries' metadata.json objects, so the collection traces to each entry.
 */
export async function storePlaylist(
  ctx: SourceContext,
  link: string,
  playlist: CollectionRecord,
  entries: PlaylistEntryRecord[],
  entryMetadata: StoredObject[],
  tools: Record<string, string>,
): Promise<StoredObject> {
  const meta: MediaMetadata = {
    schema: 1,
    row: rowContextOf(ctx),
    source: 'youtube',
    mediaId: playlist.mediaId,
    url: link,
    extra: {
      kind: playlist.kind,
      playlistId: playlist.id,
      count: playlist.count,
      complete: entries.every((e) => e.status === 'archived'),
      ...playlist.extra,
      entries,
    },
    files: entryMetadata.map((o) => ({ key: o.key, size: o.size, sha256: o.sha256 })),
    archivedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    tools,
  };
  if (playlist.title) meta.title = playlist.title;
  if (playlist.uploader) meta.uploader = playlist.uploader;
  return writeMetadata(ctx.store, ctx.prefix, meta);
}
