/**
 * The catalogue as metadata.json's sink (storage/metadata.ts writeMetadata): the journal of writes
 * in flight, their commit, and the recovery of writes a dead process left between metadata.json
 * and the catalogue.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { MediaMetadata, MetadataSink } from '../storage/metadata.js';
import type { ObjectStore, StoredObject } from '../storage/types.js';
import { isCataloguable } from './assets.js';
import type { Catalogue } from './repository.js';

/** The MetadataSink that writes `catalogue`. */
export function catalogueSink(catalogue: Catalogue): MetadataSink {
  return {
    prepare: (key, sha256) => catalogue.beginMetadataWrite(key, sha256),
    commit: (meta: MediaMetadata, stored: StoredObject, store: ObjectStore) => catalogue.finishMetadataWrite(meta, stored, store),
    abandon: (key) => catalogue.abandonMetadataWrite(key),
  };
}

/**
 * Settles the intents a dead process left: a metadata.json whose SHA-256 is the intent's was
 * written, so the catalogue takes it (both); any other content (the old one, or none) means the
 * put never landed, and the intent is dropped (neither changed). Run at start-up, before jobs.
 * @returns how many intents were applied and dropped
 * @throws ArchiveError from the store or the catalogue (the intents stay for the next start)
 */
export async function recoverIntents(
  catalogue: Catalogue,
  store: ObjectStore,
  log?: Logger,
): Promise<{ applied: number; dropped: number }> {
  let applied = 0;
  let dropped = 0;
  for (const intent of await catalogue.pendingIntents()) {
    const text = await store.getText(intent.key);
    const sha256 = text === null ? null : createHash('sha256').update(text, 'utf8').digest('hex');
    let meta: unknown = null;
    try {
      meta = text === null ? null : JSON.parse(text);
    } catch {
      /* unreadable: dropped below */
    }
    if (sha256 === intent.sha256 && isCataloguable(meta)) {
      await catalogue.finishMetadataWrite(meta, { key: intent.key, size: Buffer.byteLength(text!), sha256 }, store);
      applied++;
    } else {
      await catalogue.abandonMetadataWrite(intent.key);
      dropped++;
    }
  }
  if (applied + dropped) log?.info({ applied, dropped }, 'catalogue: settled metadata.json writes left by a stopped process');
  return { applied, dropped };
}
