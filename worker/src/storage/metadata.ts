/**
 * metadata.json (design §5): the row context and what was archived, next to the media, so every
 * file traces back to its row with no database.
 */
import { createHash } from 'node:crypto';
import type { SourceName } from '../../../shared/columns.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import type { RowContext } from '../sources/types.js';
import { metadataKey } from './layout.js';
import { underlyingStore } from './attempt.js';
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
 * What keeps a second record (the catalogue, docs/design.md §8) in step with metadata.json. The write
 * is a small two-phase commit with metadata.json as the commit point (see writeMetadata).
 */
export interface MetadataSink {
  /** Journals the write about to happen (key and SHA-256 of the new text). Throwing stops the write. */
  prepare(key: string, sha256: string): Promise<void>;
  /** metadata.json is stored: record what it says and clear the journal entry, atomically. */
  commit(meta: MediaMetadata, stored: StoredObject, store: ObjectStore): Promise<void>;
  /** The write failed or was undone: clear the journal entry. */
  abandon(key: string): Promise<void>;
}

const sinks = new WeakMap<ObjectStore, MetadataSink>();

/**
 * Makes every writeMetadata on `store` also write `sink` (the catalogue), so every source gets
 * it through the one place metadata.json is written. `null` detaches.
 */
export function attachMetadataSink(store: ObjectStore, sink: MetadataSink | null): void {
  if (sink) sinks.set(store, sink);
  else sinks.delete(store);
}

/** The sink attached to `store`, or to the store it wraps (an attempt's AttemptStore wraps the real one). */
function sinkOf(store: ObjectStore): MetadataSink | undefined {
  return sinks.get(store) ?? sinks.get(underlyingStore(store));
}

/**
 * Writes `<prefix>/<row_id>/<source>/<media_id>/metadata.json` and, when a sink is attached, the
 * catalogue, so that an asset is in both or in neither:
 *  1. the sink journals the intent (key, SHA-256); if that fails nothing is written;
 *  2. metadata.json is put; if that fails the intent is dropped (neither changed);
 *  3. the sink applies it and clears the intent in one transaction; if that fails, metadata.json
 *     is put back as it was (or deleted when it is new) and the intent dropped, then the error is
 *     thrown (file_io), so the job fails and a retry writes both again;
 *  4. a process that dies between 2 and 3 leaves the intent: recovery at the next start reads
 *     metadata.json and applies it when its SHA-256 is the intent's, else drops the intent.
 * @returns the stored metadata object (its own key, size and SHA-256).
 * @throws ArchiveError('file_io'|'network') from the store or the catalogue
 */
export async function writeMetadata(store: ObjectStore, prefix: string, meta: MediaMetadata): Promise<StoredObject> {
  const key = metadataKey(prefix, meta.row.rowId, meta.source, meta.mediaId);
  const text = JSON.stringify(meta, null, 2) + '\n';
  const opts = { rowId: meta.row.rowId, contentType: 'application/json' };
  const sink = sinkOf(store);
  if (!sink) return store.put(key, text, opts);

  const previous = await store.getText(key);
  try {
    await sink.prepare(key, createHash('sha256').update(text, 'utf8').digest('hex'));
  } catch (err) {
    throw new ArchiveError('file_io', `catalogue unavailable, ${key} not written: ${(err as Error).message}`, { cause: err });
  }
  let stored: StoredObject;
  try {
    stored = await store.put(key, text, opts);
  } catch (err) {
    await sink.abandon(key).catch(() => undefined);
    throw err;
  }
  try {
    await sink.commit(meta, stored, store);
  } catch (err) {
    try {
      if (previous === null) await store.remove(key);
      else await store.put(key, previous, opts);
      await sink.abandon(key);
    } catch {
      /* the intent stays; recovery at the next start settles it */
    }
    const e = toArchiveError(err, 'file_io');
    throw new ArchiveError('file_io', `catalogue write failed, ${key} not kept: ${e.message}`, { cause: err });
  }
  return stored;
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
