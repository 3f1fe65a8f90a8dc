/**
 * The catalogue (docs/design.md §8) entry point: where it lives for a configuration, and opening it
 * attached to the store so every metadata.json write also writes it.
 */
import { join } from 'node:path';
import type { Config } from '../config/env.js';
import type { Logger } from '../log.js';
import { attachMetadataSink } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import type { CatalogueTarget } from './db.js';
import { Catalogue } from './repository.js';
import { catalogueSink, recoverIntents } from './sink.js';

/** `DATABASE_URL=postgres://…` → PostgreSQL; otherwise `<ARCHIVER_DATA>/catalogue.db`. */
export function catalogueTarget(config: Config): CatalogueTarget {
  const url = config.env.DATABASE_URL;
  if (url) return { engine: 'postgres', url };
  return { engine: 'sqlite', path: join(config.dataDir, 'catalogue.db') };
}

/**
 * Opens (and migrates) the catalogue, settles writes a stopped process left, and attaches it to
 * `store` so writeMetadata keeps both in step.
 * @throws ArchiveError('file_io'|'system'|'network') when it cannot be opened, migrated or recovered
 */
export async function openCatalogueFor(store: ObjectStore, target: CatalogueTarget, log?: Logger): Promise<Catalogue> {
  const catalogue = await Catalogue.open(target);
  try {
    await recoverIntents(catalogue, store, log);
  } catch (err) {
    await catalogue.close();
    throw err;
  }
  attachMetadataSink(store, catalogueSink(catalogue));
  return catalogue;
}

export { Catalogue, CursorError, decodeCursor, encodeCursor } from './repository.js';
export type { Asset, AssetFilter, MediaGroup, Page, Person, Session } from './repository.js';
export { rebuildCatalogue, type RebuildReport } from './rebuild.js';
export { importSheet, exportCatalogue, EXPORT_COLUMNS } from './importExport.js';
export { recoverIntents, catalogueSink } from './sink.js';
export { subtitlesToText } from './transcript.js';
export { ASSET_KINDS, ASSET_STATUSES, type AssetKind, type AssetStatus } from './schema.js';
