/**
 * Reading a stored object back into a local file (docs/design.md §5), for work that starts from
 * what is archived (the reprocess job) rather than from the source. The bytes stream through a
 * HashingStream, so memory stays flat and the caller can compare the SHA-256 with metadata.json.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ArchiveError, toArchiveError } from '../errors.js';
import { underlyingStore } from './attempt.js';
import { HashingStream } from './hashing.js';
import { LocalStore } from './local.js';
import { S3Store, classifyS3Error } from './s3.js';
import type { ObjectStore } from './types.js';

/** An object's bytes as a stream: the local file, or S3 GetObject's body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). */
async function openObject(store: ObjectStore, key: string, signal?: AbortSignal): Promise<Readable> {
  const s = underlyingStore(store);
  if (s instanceof LocalStore) return createReadStream(s.pathOf(key));
  if (s instanceof S3Store) {
    const Key = s.objectKeyOf(key);
    try {
      const r = await s.client.send(new GetObjectCommand({ Bucket: s.bucket, Key }), signal ? { abortSignal: signal } : {});
      if (!r.Body) return Readable.from([]);
      return r.Body as Readable;
    } catch (err) {
      throw classifyS3Error(err, `reading s3://${s.bucket}/${Key}`);
    }
  }
  throw new ArchiveError('system', `reading objects back is not supported by the ${store.kind} store`);
}

/**
 * Copies the object at `key` into the file `path` (its folder is created).
 * @returns bytes written and their hex SHA-256.
 * @throws ArchiveError('not_found') when the object is missing; 'file_io'|'network' when reading
 *   or writing fails; the abort reason when `signal` fires.
 */
export async function downloadObject(
  store: ObjectStore,
  key: string,
  path: string,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  if ((await store.head(key)) === null) throw new ArchiveError('not_found', `stored object ${key} is missing`);
  await mkdir(dirname(path), { recursive: true });
  const hasher = new HashingStream();
  try {
    const body = await openObject(store, key, signal);
    await pipeline(body, hasher, createWriteStream(path), signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof ArchiveError) throw err;
    throw toArchiveError(err, 'file_io');
  }
  return { size: hasher.bytes, sha256: hasher.digests().sha256 };
}
