/**
 * metadata.json (design §5): the row context and what was archived, next to the media, so every
 * file traces back to its row with no database.
 */
import type { SourceName } from '../../../shared/columns.js';
import type { RowContext } from '../sources/types.js';
import { metadataKey } from './layout.js';
import type { ObjectStore, StoredObject } from './types.js';

export interface MetadataFile {
  key: string;
  /** bytes */
  size: number;
  sha256: string;
  /** Drive's md5Checksum, verified, where Drive gives one */
  md5?: string;
  /** path below the media folder, for Drive folders */
  path?: string;
  /** what the file is, where the source says: yt-dlp items use media, subtitles, thumbnail, info, comments */
  kind?: string;
}

export interface MediaMetadata {
  schema: 1;
  row: RowContext;
  source: SourceName;
  mediaId: string;
  /** the link as it was in the sheet */
  url: string;
  title?: string;
  /** seconds */
  duration?: number;
  uploader?: string;
  /** source-specific facts: chapters, mimeType, playlist entries, folder path… */
  extra?: Record<string, unknown>;
  files: MetadataFile[];
  /** ISO 8601 UTC */
  archivedAt: string;
  /** tool name → version, e.g. { "yt-dlp": "2023.03.04", "sheet-archiver": "0.1.0" } */
  tools: Record<string, string>;
}

/**
 * Writes `<prefix>/<row_id>/<source>/<media_id>/metadata.json`.
 * @returns the stored metadata object (its own key, size and SHA-256).
 */
export async function writeMetadata(store: ObjectStore, prefix: string, meta: MediaMetadata): Promise<StoredObject> {
  const key = metadataKey(prefix, meta.row.rowId, meta.source, meta.mediaId);
  return store.put(key, JSON.stringify(meta, null, 2) + '\n', { rowId: meta.row.rowId, contentType: 'application/json' });
}

/** Reads a metadata.json; null when missing or not parseable. */
export async function readMetadata(store: ObjectStore, key: string): Promise<MediaMetadata | null> {
  const text = await store.getText(key);
  if (text === null) return null;
  try {
    return JSON.parse(text) as MediaMetadata;
  } catch {
    return null;
  }
}

/** True when a media item was archived before (its metadata.json exists): a retry skips it. */
export async function isArchived(store: ObjectStore, prefix: string, rowId: string, source: SourceName, mediaId: string): Promise<boolean> {
  return (await store.head(metadataKey(prefix, rowId, source, mediaId))) !== null;
}
