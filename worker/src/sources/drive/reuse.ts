/**
 * What a retry keeps, so that it fetches only what is missing: a previous copy is kept when
 * Drive's file is unchanged (versions.ts hasChanged: headRevisionId, else size and md5; native
 * files: modifiedTime), per the previous metadata.json, and every object of it is still stored
 * with the same size.
 */
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { ObjectStore } from '../../storage/types.js';
import type { EntryRecord } from './metadata.js';
import { NATIVE_PREFIX, type DriveFile } from './types.js';
import { hasChanged } from './versions.js';

/** The previous API copy of a link, indexed: its entries by Drive id and its files by key. */
export interface PreviousCopies {
  entries: Map<string, EntryRecord>;
  files: Map<string, MetadataFile>;
}

/** Indexes the previous metadata.json of a link; empty when there is none or it is not a Drive one with entries. */
export function previousCopies(previous: MediaMetadata | null): PreviousCopies {
  const entries = new Map<string, EntryRecord>();
  const files = new Map<string, MetadataFile>();
  if (previous && previous.source === 'drive' && Array.isArray(previous.extra?.['entries'])) {
    for (const e of previous.extra['entries'] as EntryRecord[]) if (e && typeof e.id === 'string') entries.set(e.id, e);
    for (const f of previous.files ?? []) files.set(f.key, f);
  }
  return { entries, files };
}

/**
 * The previous copies of an entry when Drive's file is unchanged and every copy is still stored
 * whole at the keys planned now (`outputs`, in order); else null.
 */
export async function reusable(
  prev: EntryRecord | undefined,
  prevFiles: Map<string, MetadataFile>,
  f: DriveFile,
  outputs: readonly { key: string }[],
  store: ObjectStore,
): Promise<MetadataFile[] | null> {
  if (!prev) return null;
  const native = (f.mimeType ?? '').startsWith(NATIVE_PREFIX);
  if (hasChanged(prev, f)) return null;
  if (prev.keys.length !== outputs.length || outputs.some((o, i) => prev.keys[i] !== o.key)) return null;
  const out: MetadataFile[] = [];
  for (const o of outputs) {
    const pf = prevFiles.get(o.key);
    if (!pf) return null;
    const head = await store.head(o.key);
    if (!head || head.size !== pf.size) return null;
    if (!native && f.md5Checksum && pf.md5 !== f.md5Checksum) return null;
    out.push(pf);
  }
  return out;
}

/** The files of a complete previous public-flow copy when every one is still stored whole; else null. */
export async function keptPublicCopy(previous: MediaMetadata | null, store: ObjectStore): Promise<MetadataFile[] | null> {
  if (!(previous?.extra?.['via'] === 'public' && previous.extra['complete'] === true && previous.files.length > 0)) return null;
  let whole = true;
  for (const f of previous.files) {
    const h = await store.head(f.key);
    if (!h || h.size !== f.size) whole = false;
  }
  return whole ? previous.files : null;
}
