/**
 * `catalogue rebuild` (docs/design.md §8: metadata.json is the source of truth): walks every
 * metadata.json in storage, local or S3, and makes the catalogue hold what they say. Idempotent;
 * keys written by older layout rules are read as they are (the walk does not recompute keys).
 */
import { createHash } from 'node:crypto';
import { sanitizePath } from '../storage/layout.js';
import type { ObjectStore } from '../storage/types.js';
import { isCataloguable } from './assets.js';
import type { Catalogue } from './repository.js';

export interface RebuildOptions {
  /** docs/design.md §5 `<prefix>`; '' when none */
  prefix?: string;
  /** remove stored assets whose metadata.json is gone (default true) */
  prune?: boolean;
  /** metadata.json files read at once and catalogued in one transaction (default 64) */
  concurrency?: number;
  /** called after each batch with the files done so far */
  onProgress?: (done: number) => void;
}

export interface RebuildReport {
  /** metadata.json files catalogued */
  files: number;
  /** metadata.json files that could not be read or are not this project's */
  skipped: { key: string; reason: string }[];
  /** assets removed because their metadata.json is gone */
  pruned: number;
  ms: number;
}

/**
 * Rebuilds the catalogue from storage.
 * @throws ArchiveError('file_io'|'network') when the store cannot be listed or read
 */
export async function rebuildCatalogue(catalogue: Catalogue, store: ObjectStore, o: RebuildOptions = {}): Promise<RebuildReport> {
  const started = Date.now();
  const head = o.prefix ? sanitizePath(o.prefix) + '/' : '';
  const batchSize = o.concurrency ?? 64;
  const seen = new Set<string>();
  const skipped: RebuildReport['skipped'] = [];
  let files = 0;
  let batch: string[] = [];

  const flush = async (): Promise<void> => {
    const read = await Promise.all(batch.map(async (key) => ({ key, text: await store.getText(key) })));
    batch = [];
    const ok: { key: string; text: string; meta: Parameters<Catalogue['applyMetadata']>[1] }[] = [];
    for (const { key, text } of read) {
      if (text === null) continue; // deleted while listing
      let meta: unknown;
      try {
        meta = JSON.parse(text);
      } catch {
        skipped.push({ key, reason: 'not valid JSON' });
        continue;
      }
      if (!isCataloguable(meta)) {
        skipped.push({ key, reason: 'not a sheet-archiver metadata.json (row, source, mediaId, files, archivedAt)' });
        continue;
      }
      ok.push({ key, text, meta });
    }
    const items = ok.map(({ key, text, meta }) => ({
      meta,
      metadata: { key, size: Buffer.byteLength(text), sha256: createHash('sha256').update(text, 'utf8').digest('hex') },
    }));
    await catalogue.write((trx) => catalogue.applyMany(trx, items, store));
    for (const { key } of ok) seen.add(key);
    files += ok.length;
    o.onProgress?.(files);
  };

  for await (const key of store.list(head)) {
    if (key !== 'metadata.json' && !key.endsWith('/metadata.json')) continue;
    batch.push(key);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length) await flush();
  const pruned = o.prune === false ? 0 : await catalogue.pruneUnseen(new Set([...seen, ...skipped.map((s) => s.key)]));
  return { files, skipped, pruned, ms: Date.now() - started };
}
