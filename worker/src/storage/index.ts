/**
 * Storage entry point: `createStore(config)` builds the local-folder store (the default,
 * `ARCHIVER_DATA/archive`) or an S3-compatible one, and the rest of storage is re-exported here.
 */
import { ArchiveError } from '../errors.js';
import { LocalStore } from './local.js';
import { S3Store, type S3StoreConfig } from './s3.js';
import type { ObjectStore } from './types.js';

/** The local folder store: every key is a file below `root`. */
export interface LocalStoreConfig {
  kind: 'local';
  /** archive folder, absolute or relative to the working directory; created on first write */
  root: string;
}

/** An S3-compatible bucket (AWS, MinIO, R2, B2, s3rver); see S3StoreConfig for each field. */
export interface S3StoreKindConfig extends S3StoreConfig {
  kind: 's3';
}

/** What `createStore` accepts; the lead's zod env schema maps onto this. */
export type StoreConfig = LocalStoreConfig | S3StoreKindConfig;

/**
 * Builds the store a config describes. Does no I/O: call `checkWritable()` to test it.
 * @throws ArchiveError('validation') for an S3 config without a bucket or with out-of-range
 *   part/page sizes, or an unknown kind.
 */
export function createStore(config: StoreConfig): LocalStore | S3Store {
  switch (config.kind) {
    case 'local':
      return new LocalStore(config.root);
    case 's3': {
      const { kind: _kind, ...s3 } = config;
      return new S3Store(s3);
    }
    default: {
      const kind: never = config;
      throw new ArchiveError('validation', `unknown storage kind: ${String((kind as { kind?: unknown }).kind)}`);
    }
  }
}

export type { ObjectStore, PutOptions, StoredObject } from './types.js';
export { LocalStore } from './local.js';
export { S3Store, classifyS3Error, encodeMetaValue, decodeMetaValue, type S3StoreConfig, type S3Credentials } from './s3.js';
export { lookup, type LookupResult } from './lookup.js';
export { HashingStream } from './hashing.js';
export { sanitizeSegment, sanitizePath, mediaPrefix, objectKey, metadataKey, parseKey } from './layout.js';
export { writeMetadata, readMetadata, isArchived, type MediaMetadata, type MetadataFile } from './metadata.js';

/** Narrowing helper for code that needs the S3 client (e.g. tests, readyz details). */
export function isS3Store(store: ObjectStore): store is S3Store {
  return store instanceof S3Store;
}
