/**
 * The S3-compatible store (design §5): AWS S3, MinIO, Cloudflare R2, Backblaze B2 and, in tests,
 * s3rver. Uploads stream through @aws-sdk/lib-storage `Upload` (multipart above one part), hashing
 * on the way, so memory stays at about `partSize × (queueSize + 3)` whatever the file size, and
 * all uploads of a process together within its upload budget (storage/uploadBudget.ts).
 *
 * Keys given to this store are relative to the store's own `prefix` (like LocalStore's root
 * folder): key `151/youtube/abc/metadata.json` with prefix `archive` is the object
 * `archive/151/youtube/abc/metadata.json` in the bucket.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ArchiveError, toArchiveError } from '../errors.js';
import { HashingStream } from './hashing.js';
import { sanitizePath } from './layout.js';
import type { ObjectStore, PutOptions, StoredObject } from './types.js';
import { DEFAULT_UPLOAD_BUDGET, type UploadBudget } from './uploadBudget.js';

const MiB = 1024 * 1024;
/** read size of putFile's file stream, bytes (one chunk the uploader holds per part in flight) */
const READ_CHUNK = MiB;

/** Static credentials; omit them to use the SDK's default chain (env, profile, IMDS/ECS roles). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Settings of one S3-compatible bucket. Only `bucket` is required. */
export interface S3StoreConfig {
  bucket: string;
  /** default `us-east-1` (R2 wants `auto`, B2 its own region such as `us-west-004`) */
  region?: string;
  /** e.g. `http://127.0.0.1:9000` (MinIO), `https://<account>.r2.cloudflarestorage.com`; omit for AWS */
  endpoint?: string;
  /** path-style URLs (`endpoint/bucket/key`); MinIO and s3rver need it. Default false. */
  forcePathStyle?: boolean;
  /** key prefix inside the bucket, the store's "root folder"; default '' */
  prefix?: string;
  credentials?: S3Credentials;
  /** multipart part size in bytes; min 5 MiB (S3's limit), default 8 MiB */
  partSize?: number;
  /**
   * parts uploaded in parallel per file, at most; default 2. The process's upload budget lowers it
   * while other uploads hold memory (storage/uploadBudget.ts).
   */
  queueSize?: number;
  /** memory budget shared by concurrent uploads; default one per process, 192 MiB */
  uploadBudget?: UploadBudget;
  /** ListObjectsV2 MaxKeys per page (1…1000); default 1000 */
  listPageSize?: number;
  /** lifetime of `locate()` URLs, seconds (max 604800 = 7 days for SigV4); default 3600 */
  presignExpiresIn?: number;
  /** SDK attempts per request (retries on 5xx, throttling, resets); default 3 */
  maxAttempts?: number;
  /** TCP connect timeout, ms; default 10 000 */
  connectionTimeoutMs?: number;
  /** socket idle timeout, ms; default 120 000 */
  socketTimeoutMs?: number;
}

/** Error names/codes the SDK uses for a transport failure rather than an answer from S3. */
const NETWORK_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
]);

/**
 * Maps an SDK error to a design §4 category: transport failures, timeouts and 5xx are `network`;
 * everything S3 answered (NoSuchBucket, AccessDenied, InvalidAccessKeyId, EntityTooLarge…) is
 * `file_io` ("storage write failed").
 */
export function classifyS3Error(err: unknown, what: string): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? '';
  const base = toArchiveError(err, 'file_io');
  const message = `${what}: ${name && !base.message.startsWith(name) ? `${name}: ` : ''}${base.message}`;
  const network = base.category === 'network' || NETWORK_NAMES.has(name) || (status !== undefined && status >= 500);
  return new ArchiveError(network ? 'network' : 'file_io', message, { cause: err });
}

/** Not found, as HeadObject (bare 404 `NotFound`) and GetObject (`NoSuchKey`) report it. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isAbort(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError';
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/**
 * Encodes a metadata value for an `x-amz-meta-*` header. Printable ASCII passes unchanged;
 * anything else (non-ASCII row ids, control characters) becomes RFC 2047 `=?UTF-8?B?…?=`
 * encoded-words, which is what AWS itself returns for non-ASCII metadata
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata).
 */
export function encodeMetaValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !value.includes('=?')) return value;
  // encoded-words are at most 75 characters: 12 of wrapping leave 63 → 45 bytes of UTF-8 per word
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** Decodes a value written by `encodeMetaValue` (RFC 2047 B or Q encoded-words in UTF-8); other text is returned as is. */
export function decodeMetaValue(value: string): string {
  const word = /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g;
  if (!word.test(value)) return value;
  word.lastIndex = 0;
  // whitespace between adjacent encoded-words is not part of the text (RFC 2047 §6.2)
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(word, (_m, _charset: string, enc: string, text: string) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

/** The endpoint without any user:password part, for messages. */
function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return '(invalid endpoint)';
  }
}

/**
 * An `ObjectStore` on an S3-compatible bucket.
 *
 * Every object carries `x-amz-meta-row-id` (see `encodeMetaValue`). Errors are `ArchiveError`s:
 * `network` for transport failures, timeouts and 5xx, `file_io` for any other S3 refusal,
 * `validation` for a malformed key; an aborted `put` rethrows an `AbortError`.
 */
export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  /** normalised key prefix, no leading/trailing `/`; '' for the bucket root */
  readonly prefix: string;
  private readonly endpoint: string | undefined;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly budget: UploadBudget;
  private readonly listPageSize: number;
  private readonly presignExpiresIn: number;

  /**
   * @param config bucket settings; `client` may be given to share one S3Client (its own settings win).
   * @throws ArchiveError('validation') on an empty bucket, a part size under 5 MiB or a page size outside 1…1000.
   */
  constructor(config: S3StoreConfig & { client?: S3Client }) {
    if (!config.bucket) throw new ArchiveError('validation', 'S3 bucket is required');
    this.bucket = config.bucket;
    this.prefix = config.prefix ? sanitizePath(config.prefix) : '';
    this.endpoint = config.endpoint;
    this.partSize = config.partSize ?? 8 * MiB;
    this.queueSize = config.queueSize ?? 2;
    this.budget = config.uploadBudget ?? DEFAULT_UPLOAD_BUDGET;
    this.listPageSize = config.listPageSize ?? 1000;
    this.presignExpiresIn = config.presignExpiresIn ?? 3600;
    if (this.partSize < 5 * MiB) throw new ArchiveError('validation', `S3 part size ${this.partSize} is below the 5 MiB minimum`);
    if (this.queueSize < 1) throw new ArchiveError('validation', 'S3 queue size must be at least 1');
    if (this.listPageSize < 1 || this.listPageSize > 1000) throw new ArchiveError('validation', 'S3 list page size must be 1…1000');
    this.client = config.client ?? new S3Client(S3Store.clientConfig(config));
  }

  /**
   * The S3Client settings for a config: region, endpoint, path style, credentials, timeouts and
   * checksums only `WHEN_REQUIRED` (the SDK's CRC32 default since 3.729 breaks MinIO < 2024,
   * B2 and s3rver; https://github.com/aws/aws-sdk-js-v3/issues/6810).
   */
  static clientConfig(config: S3StoreConfig): S3ClientConfig {
    const agent = { keepAlive: true, maxSockets: 32 };
    return {
      region: config.region ?? 'us-east-1',
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle ?? false,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      maxAttempts: config.maxAttempts ?? 3,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: config.connectionTimeoutMs ?? 10_000,
        socketTimeout: config.socketTimeoutMs ?? 120_000,
        httpAgent: agent,
        httpsAgent: agent,
      },
    };
  }

  /** `s3://bucket/prefix`, plus the endpoint when not AWS; never credentials. */
  describe(): string {
    const where = `s3://${this.bucket}${this.prefix ? '/' + this.prefix : ''}`;
    return this.endpoint ? `${where} (endpoint ${safeEndpoint(this.endpoint)})` : where;
  }

  /**
   * The bucket key of a store key (`prefix/key`).
   * @throws ArchiveError('validation') for an empty key, a leading `/` or a `.`/`..` segment.
   */
  objectKeyOf(key: string): string {
    if (!key || key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.')) {
      throw new ArchiveError('validation', `invalid object key: ${JSON.stringify(key)}`);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** The store key of a bucket key (inverse of `objectKeyOf`); null when outside the prefix. */
  keyOf(bucketKey: string): string | null {
    if (!this.prefix) return bucketKey || null;
    return bucketKey.startsWith(this.prefix + '/') && bucketKey.length > this.prefix.length + 1
      ? bucketKey.slice(this.prefix.length + 1)
      : null;
  }

  /**
   * Streams `body` to `key` with lib-storage `Upload`: one PutObject when it fits in a part,
   * otherwise CreateMultipartUpload + UploadPart × n + CompleteMultipartUpload (an error aborts the
   * multipart upload). SHA-256 (and MD5 with `opts.md5`) are computed on the way; `onBytes` counts
   * bytes handed to the uploader. A stream of unknown length can be at most partSize × 10,000
   * bytes (78 GiB with the default 8 MiB parts); `putFile` adapts to larger files.
   * Mirrors https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
   * @returns key, size in bytes, hex digests
   * @throws ArchiveError('file_io'|'network'), the body stream's own category for a failing
   *   source, or an AbortError when `opts.signal` fires.
   */
  async put(key: string, body: Readable | Buffer | string, opts: PutOptions): Promise<StoredObject> {
    return this.upload(key, body, opts, typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.byteLength(body) : undefined);
  }

  /**
   * Like `put`, streaming a local file (1 MiB reads). Knowing the size, it raises the part size
   * above the configured one only when needed to stay within S3's 10,000 parts (files over ~78 GiB
   * with 8 MiB parts), lowering the parallelism in step so memory stays about the same.
   * @throws ArchiveError('file_io') when the file cannot be read, otherwise as `put`.
   */
  async putFile(key: string, path: string, opts: PutOptions): Promise<StoredObject> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw new ArchiveError('file_io', `reading ${path}: ${(err as Error).message}`, { cause: err });
    }
    return this.upload(key, createReadStream(path, { highWaterMark: READ_CHUNK }), opts, size);
  }

  /** Part size and parallelism for a body of `size` bytes (unknown: the configured ones). */
  private tuning(size: number | undefined): { partSize: number; queueSize: number } {
    const MAX_PARTS = 10_000;
    if (size === undefined || Math.ceil(size / this.partSize) <= MAX_PARTS) return { partSize: this.partSize, queueSize: this.queueSize };
    const partSize = Math.ceil(size / (MAX_PARTS - 100) / MiB) * MiB;
    const queueSize = Math.max(1, Math.floor((this.partSize * this.queueSize) / partSize));
    return { partSize, queueSize };
  }

  /**
   * One upload. lib-storage is given `leavePartsOnError: true` and is never aborted through its own
   * `abort()`: that only races `done()` against the signal, leaving the parts in flight and the
   * multipart upload behind it open (and it does not abort at all when CompleteMultipartUpload
   * fails). Instead a failure or an abort destroys the body, so every part uploader stops at its
   * next part and `done()` settles; then this method aborts the multipart upload itself, once,
   * with nothing in flight (AbortMultipartUpload frees the parts only of finished part uploads:
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).
   */
  private async upload(key: string, body: Readable | Buffer | string, opts: PutOptions, size: number | undefined): Promise<StoredObject> {
    const Key = this.objectKeyOf(key);
    if (opts.signal?.aborted) throw abortError();
    const { partSize, queueSize: want } = this.tuning(size);
    let grant;
    try {
      grant = await this.budget.acquire(partSize, want, READ_CHUNK, size, opts.signal);
    } catch (err) {
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) body.destroy();
      throw err;
    }
    try {
      return await this.uploadWithin(Key, key, body, opts, partSize, grant.queueSize);
    } finally {
      grant.release();
    }
  }

  private async uploadWithin(
    Key: string,
    key: string,
    body: Readable | Buffer | string,
    opts: PutOptions,
    partSize: number,
    queueSize: number,
  ): Promise<StoredObject> {
    const src = typeof body === 'string' ? Readable.from([Buffer.from(body)]) : Buffer.isBuffer(body) ? Readable.from([body]) : body;
    const hasher = new HashingStream({ md5: opts.md5, onBytes: opts.onBytes });
    let sourceError: unknown;
    let s3Error: unknown;
    const onSourceError = (err: unknown): void => {
      sourceError ??= err;
    };
    src.once('error', onSourceError);
    // the first failed S3 request stops the whole upload (the other part uploaders would
    // otherwise read and send the rest of the file first)
    const stop = (err: unknown): void => {
      s3Error ??= err;
      hasher.destroy(err as Error);
    };
    const client = new Proxy(this.client, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop);
        return (...args: Parameters<S3Client['send']>) =>
          (target.send as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
            stop(err);
            throw err;
          });
      },
    });

    const upload = new Upload({
      client,
      partSize,
      queueSize,
      leavePartsOnError: true,
      params: {
        Bucket: this.bucket,
        Key,
        Body: hasher,
        ContentType: opts.contentType ?? 'application/octet-stream',
        Metadata: { 'row-id': encodeMetaValue(opts.rowId) },
      },
    });
    const onAbort = (): void => void src.destroy(abortError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const piping = pipeline(src, hasher);
    const uploading = upload.done();
    try {
      await Promise.all([piping, uploading]);
    } catch (err) {
      hasher.destroy();
      src.destroy();
      await Promise.allSettled([piping, uploading]);
      const aborted = await this.abortMultipart(Key, upload.uploadId);
      const note =
        aborted === true ? '' : `; its multipart upload could not be aborted (${aborted}), the bucket's lifecycle rule removes it`;
      if (opts.signal?.aborted || isAbort(err)) throw abortError();
      if (s3Error !== undefined) throw classifyS3Error(s3Error, `uploading ${this.describeKey(Key)}${note}`);
      if (sourceError !== undefined) {
        // a stream error from the source (a download) keeps its category; anything else is storage
        const e = toArchiveError(sourceError, 'file_io');
        throw e.category === 'system' ? new ArchiveError('file_io', `reading the body of ${key}: ${e.message}`, { cause: sourceError }) : e;
      }
      throw classifyS3Error(err, `uploading ${this.describeKey(Key)}${note}`);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      src.off('error', onSourceError);
    }
    return { key, size: hasher.bytes, ...hasher.digests() };
  }

  /**
   * AbortMultipartUpload of a failed upload (none when it never became multipart). NoSuchUpload
   * counts as done: CompleteMultipartUpload may have gone through before its answer was lost.
   * @returns true, or why it failed (for the error message; the lifecycle rule is the backstop).
   */
  private async abortMultipart(Key: string, UploadId: string | undefined): Promise<true | string> {
    if (!UploadId) return true;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }));
      return true;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (isNotFound(err) || e.name === 'NoSuchUpload') return true;
      return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
    }
  }

  /** HeadObject: size in bytes, or null on 404. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html */
  async head(key: string): Promise<{ size: number } | null> {
    const info = await this.headObject(key);
    return info && { size: info.size };
  }

  /**
   * HeadObject with the decoded `x-amz-meta-row-id` (null when the object has none) and the
   * content type; null when the key does not exist.
   */
  async headObject(key: string): Promise<{ size: number; rowId: string | null; contentType?: string } | null> {
    const Key = this.objectKeyOf(key);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      const raw = r.Metadata?.['row-id'];
      return {
        size: r.ContentLength ?? 0,
        rowId: raw === undefined ? null : decodeMetaValue(raw),
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw classifyS3Error(err, `reading ${this.describeKey(Key)}`);
    }
  }

  /**
   * DeleteObject (a missing key answers 204 too).
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
   */
  async remove(key: string): Promise<void> {
    const Key = this.objectKeyOf(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw classifyS3Error(err, `deleting ${this.describeKey(Key)}`);
    }
  }

  /**
   * DeleteObjects, up to 1000 keys a request (quiet mode: only failures are answered); a key that
   * does not exist counts as deleted.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
   * @throws ArchiveError('file_io'|'network') when a request fails or any key is refused.
   */
  async removeMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const Objects = keys.slice(i, i + 1000).map((k) => ({ Key: this.objectKeyOf(k) }));
      let out;
      try {
        out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects, Quiet: true } }));
      } catch (err) {
        throw classifyS3Error(err, `deleting ${Objects.length} object(s) in ${this.describe()}`);
      }
      const refused = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (refused.length) {
        const first = refused[0]!;
        throw new ArchiveError(
          'file_io',
          `deleting ${this.describeKey(first.Key ?? '')} refused: ${first.Code ?? 'error'} ${first.Message ?? ''}`.trim() +
            (refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''),
        );
      }
    }
  }

  /** GetObject as UTF-8 text; null on NoSuchKey. For small objects (metadata.json). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html */
  async getText(key: string): Promise<string | null> {
    const Key = this.objectKeyOf(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return r.Body ? await r.Body.transformToString('utf-8') : '';
    } catch (err) {
      if (isNotFound(err)) return null;
      throw classifyS3Error(err, `reading ${this.describeKey(Key)}`);
    }
  }

  /**
   * Every store key starting with `prefix` (a plain string prefix, as S3 means it), in S3's
   * UTF-8 binary order, paging through ListObjectsV2 with ContinuationToken.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
   */
  async *list(prefix: string): AsyncIterable<string> {
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix,
            MaxKeys: this.listPageSize,
            ...(ContinuationToken ? { ContinuationToken } : {}),
          }),
        );
      } catch (err) {
        throw classifyS3Error(err, `listing ${this.describeKey(Prefix)}`);
      }
      for (const o of page.Contents ?? []) {
        const key = o.Key === undefined ? null : this.keyOf(o.Key);
        if (key !== null) yield key;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /**
   * Writes then deletes a small probe object under the prefix (`.write-probe-<pid>-<random>`).
   * @throws ArchiveError('file_io'|'network') naming the bucket when either step fails.
   */
  async checkWritable(): Promise<void> {
    const Key = this.objectKeyOf(`.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: 'ok', ContentType: 'text/plain' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      const e = classifyS3Error(err, `bucket ${this.describe()} is not writable`);
      throw e;
    }
  }

  /**
   * A presigned GET URL (SigV4 query auth) valid for `presignExpiresIn` seconds.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html
   */
  async locate(key: string): Promise<string> {
    const Key = this.objectKeyOf(key);
    try {
      return await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key }), { expiresIn: this.presignExpiresIn });
    } catch (err) {
      throw classifyS3Error(err, `presigning ${this.describeKey(Key)}`);
    }
  }

  /**
   * A presigned GET URL valid for `expiresIn` seconds whose answer carries the given
   * Content-Disposition and Content-Type (`response-content-disposition` / `response-content-type`,
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
   * @throws ArchiveError('network'|'file_io') when presigning fails.
   */
  async presignGet(key: string, opts: { expiresIn: number; contentDisposition?: string; contentType?: string }): Promise<string> {
    const Key = this.objectKeyOf(key);
    const cmd = new GetObjectCommand({
      Bucket: this.bucket,
      Key,
      ...(opts.contentDisposition ? { ResponseContentDisposition: opts.contentDisposition } : {}),
      ...(opts.contentType ? { ResponseContentType: opts.contentType } : {}),
    });
    try {
      return await getSignedUrl(this.client, cmd, { expiresIn: opts.expiresIn });
    } catch (err) {
      throw classifyS3Error(err, `presigning ${this.describeKey(Key)}`);
    }
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }

  private describeKey(bucketKey: string): string {
    return `s3://${this.bucket}/${bucketKey}`;
  }
}
