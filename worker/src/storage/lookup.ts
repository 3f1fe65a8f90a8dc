/**
 * Reverse lookup, file → row (design §5): from an object key, a bucket URL or a local path inside
 * the local store's root, find the media item's metadata.json and return the row it belongs to.
 * No database: the layout and metadata.json are enough.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceName } from '../../../shared/columns.js';
import type { RowContext } from '../sources/types.js';
import { LocalStore } from './local.js';
import { parseKey, sanitizePath } from './layout.js';
import { readMetadata, type MediaMetadata, type MetadataFile } from './metadata.js';
import { S3Store } from './s3.js';
import type { ObjectStore } from './types.js';

/** What a lookup found. */
export interface LookupResult {
  /** the store key that was looked up (normalised) */
  key: string;
  rowId: string;
  source: SourceName;
  mediaId: string;
  /** the row context recorded at archive time */
  row: RowContext;
  /** the file's entry in metadata.json; absent for metadata.json itself or a file it does not list */
  file?: MetadataFile;
  /** key of the metadata.json that answered */
  metadataKey: string;
  /** the link as it was in the sheet */
  url: string;
  title?: string;
}

/**
 * Turns what a person pasted into a store key: strips `s3://<bucket>/` (and the store's prefix) for
 * an S3 store, turns `file://` URLs and local paths inside the root into keys for a LocalStore.
 * Returns candidates in order of preference (a relative local path can also be a key).
 */
function candidateKeys(store: ObjectStore, input: string): string[] {
  const out: string[] = [];
  const add = (k: string | null | undefined): void => {
    if (k && !out.includes(k)) out.push(k);
  };
  const s = input.trim();
  if (store instanceof S3Store) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(s);
    if (m) {
      if (m[1] === store.bucket) add(store.keyOf(m[2]!));
      return out;
    }
    // a full bucket key (with the store's prefix) or a store key
    add(store.keyOf(s.replace(/^\/+/, '')));
    add(s.replace(/^\/+/, ''));
    return out;
  }
  if (store instanceof LocalStore) {
    if (s.startsWith('file://')) {
      try {
        add(store.keyOf(fileURLToPath(s)));
      } catch {
        /* not a file URL */
      }
      return out;
    }
    if (isAbsolute(s)) {
      add(store.keyOf(s));
      return out;
    }
    if (!s.startsWith('./') && !s.startsWith('../')) add(s.replace(/\\/g, '/'));
    add(store.keyOf(resolve(s)));
    return out;
  }
  add(s.replace(/^\/+/, ''));
  return out;
}

/** The metadata.json keys that may describe `key`: the layout's media folder first, then each parent folder up. */
function metadataCandidates(key: string, prefix: string): string[] {
  const out: string[] = [];
  const parsed = parseKey(key, prefix);
  if (parsed) {
    const head = prefix ? sanitizePath(prefix) + '/' : '';
    out.push(`${head}${parsed.rowId}/${parsed.source}/${parsed.mediaId}/metadata.json`);
  }
  // fallback for a prefix that does not match: walk up (at most 8 levels, never the bucket root)
  const parts = key.split('/');
  for (let n = parts.length - 1; n >= 3 && out.length < 9; n--) {
    const k = [...parts.slice(0, n), 'metadata.json'].join('/');
    if (!out.includes(k)) out.push(k);
  }
  return out;
}

/** A metadata.json sits at `…/<row_id>/<source>/<media_id>/metadata.json`: check it is one. */
function describes(meta: MediaMetadata, metadataKey: string): boolean {
  const parts = metadataKey.split('/');
  return typeof meta?.row?.rowId === 'string' && Array.isArray(meta.files) && parts.length >= 4 && parts[parts.length - 3] === meta.source;
}

/** A file of an earlier Drive version (`extra.versions[].files`, docs/catalogue.md "Versions of Docs and Drive files"). */
function olderVersionFile(meta: MediaMetadata, key: string): MetadataFile | undefined {
  const versions = meta.extra?.['versions'];
  if (!Array.isArray(versions)) return undefined;
  for (const v of versions as { files?: unknown }[]) {
    const f = Array.isArray(v?.files) ? (v.files as MetadataFile[]).find((x) => x?.key === key) : undefined;
    if (f) return f;
  }
  return undefined;
}

/**
 * Finds the row a stored file belongs to.
 *
 * @param store the store the file is in
 * @param keyOrPath an object key (`151/youtube/abc/video.mp4`), a Drive sub-folder file
 *   (`151/drive/<folderId>/sub/dir/file.pdf`), an `s3://bucket/key` URL (S3Store), or an absolute
 *   path / `file://` URL / `./relative` path inside the local store's root (LocalStore)
 * @param prefix the layout prefix (design §5 `<prefix>`, '' when none) the keys were written with
 * @returns the row context, the file's metadata entry (when listed) and the media's URL/title;
 *   null when the input is outside the store or no metadata.json describes it
 * @throws ArchiveError('file_io'|'network') when the store cannot be read
 */
export async function lookup(store: ObjectStore, keyOrPath: string, prefix: string): Promise<LookupResult | null> {
  for (const key of candidateKeys(store, keyOrPath)) {
    for (const mk of metadataCandidates(key, prefix)) {
      let meta: MediaMetadata | null;
      try {
        meta = await readMetadata(store, mk);
      } catch (err) {
        // a key that the store refuses (escaping the root, malformed) is simply not found
        if ((err as { category?: string }).category === 'validation') continue;
        throw err;
      }
      if (!meta || !describes(meta, mk)) continue;
      const file = key === mk ? undefined : (meta.files.find((f) => f.key === key) ?? olderVersionFile(meta, key));
      // a key under a media folder that metadata.json does not list must at least exist
      if (key !== mk && !file && (await store.head(key).catch(() => null)) === null) return null;
      return {
        key,
        rowId: meta.row.rowId,
        source: meta.source,
        mediaId: meta.mediaId,
        row: meta.row,
        ...(file ? { file } : {}),
        metadataKey: mk,
        url: meta.url,
        ...(meta.title !== undefined ? { title: meta.title } : {}),
      };
    }
  }
  return null;
}
