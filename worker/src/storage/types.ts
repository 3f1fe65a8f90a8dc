/**
 * Object storage (design §5): one interface over the local folder (the default) and
 * S3-compatible buckets. Keys are `/`-separated and already sanitised (see layout.ts).
 */
import type { Readable } from 'node:stream';

/** What a finished write produced. `size` in bytes; digests are lower-case hex. */
export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
  /** present when the caller asked for it (Drive verifies md5Checksum) */
  md5?: string;
}

export interface PutOptions {
  /** row_id of the row this object belongs to; S3 stores it as `x-amz-meta-row-id` */
  rowId: string;
  contentType?: string;
  /** also compute MD5 while streaming */
  md5?: boolean;
  /** called with bytes written so far while streaming */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** Human-readable location with no secrets, e.g. `file:///data/archive` or `s3://bucket/prefix`. */
  describe(): string;
  /**
   * Streams `body` to `key`, hashing as it goes; memory stays flat whatever the size
   * (S3: multipart upload through @aws-sdk/lib-storage). Overwrites an existing key.
   * @throws ArchiveError('file_io') when the write fails.
   */
  put(key: string, body: Readable | Buffer | string, opts: PutOptions): Promise<StoredObject>;
  /** Like put, from a local file. */
  putFile(key: string, path: string, opts: PutOptions): Promise<StoredObject>;
  /** Size in bytes, or null when the key does not exist. */
  head(key: string): Promise<{ size: number } | null>;
  /** Reads a whole (small) object, e.g. metadata.json; null when missing. */
  getText(key: string): Promise<string | null>;
  /**
   * Removes one object; a missing key is not an error (S3 DeleteObject semantics).
   * @throws ArchiveError('file_io'|'network') when the store refuses.
   */
  delete(key: string): Promise<void>;
  /** Every key under a prefix. */
  list(prefix: string): AsyncIterable<string>;
  /** Throws ArchiveError('file_io') when the store cannot be written (used by /readyz and doctor). */
  checkWritable(): Promise<void>;
  /** Local path for a key (local store) or a presigned GET URL (S3), for people to open a file. */
  locate(key: string): Promise<string>;
}
