/**
 * s3rver 3.7 (a fake S3 on the file system) for tests and benchmarks (design §7): listens on
 * 127.0.0.1 on a free port with its data in a temp folder, the bucket created up front through
 * `configureBuckets`, its winston logging silenced (`S3RVER_LOG=1` shows it), and a request log for asserting on calls
 * (multipart parts, list pages).
 *
 * s3rver quirks worth knowing:
 *  - it accepts only its built-in access key `S3RVER` (secret `S3RVER`); SigV4 signatures are not
 *    verified, but an unknown access key id is refused with InvalidAccessKeyId;
 *  - it does not understand the SDK's default flexible checksums: a streamed PutObject is sent
 *    `aws-chunked` with a CRC32 trailer and s3rver stores the framing as the object's bytes
 *    (`c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:…`), silently. The client must use
 *    `requestChecksumCalculation/responseChecksumValidation: 'WHEN_REQUIRED'` (S3Store does);
 *  - use path-style URLs (`forcePathStyle: true`): with virtual-host style the SDK would address
 *    `<bucket>.127.0.0.1`, which does not resolve;
 *  - UploadPart emits no event; only PutObject ('ObjectCreated:Put') and
 *    CompleteMultipartUpload ('ObjectCreated:Post') do, hence the request log;
 *  - its ListObjectsV2 continuation tokens are encrypted with single DES, which OpenSSL 3 (Node ≥ 17)
 *    refuses without `--openssl-legacy-provider` (500 InternalError, ERR_OSSL_EVP_UNSUPPORTED on
 *    the first truncated page). `allowS3rverDes()` below maps 'des' to 3DES with the key repeated
 *    three times, which is the same cipher (E_K∘D_K∘E_K = E_K), byte for byte.
 *
 * Run as a program (`npx tsx test/support/s3rver.ts [dir]`) it serves until killed and prints one
 * JSON line `{"endpoint","bucket","dir"}` on stdout when ready: the benchmark uses that to keep
 * s3rver's memory out of its measurement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Store, type S3StoreConfig } from '../../worker/src/storage/s3.js';

/** The subset of s3rver's (untyped, CommonJS) API used here. */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  on(
    event: 'event',
    listener: (e: { Records: Array<{ eventName: string; s3: { object: { key: string; size?: number } } }> }) => void,
  ): void;
  httpServer?: Server;
}
type S3rverCtor = new (opts: {
  address?: string;
  port?: number;
  directory?: string;
  silent?: boolean;
  resetOnClose?: boolean;
  configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
}) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverCtor;

let desPatched = false;
/**
 * Lets s3rver's DES continuation tokens work on OpenSSL 3 (see the quirks above). Touches only
 * calls with the algorithm 'des', which nothing else in this project uses. Idempotent.
 */
export function allowS3rverDes(): void {
  if (desPatched) return;
  desPatched = true;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const triple = (key: unknown): Buffer => {
    const k = Buffer.from(key as Buffer);
    return Buffer.concat([k, k, k]);
  };
  const { createCipheriv, createDecipheriv } = crypto;
  const patched = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', (...args: unknown[]) => unknown>;
  patched.createCipheriv = (alg: unknown, key: unknown, iv: unknown, ...rest: unknown[]) =>
    alg === 'des'
      ? createCipheriv('des-ede3-cbc', triple(key), iv as Buffer)
      : (createCipheriv as (...a: unknown[]) => unknown)(alg, key, iv, ...rest);
  patched.createDecipheriv = (alg: unknown, key: unknown, iv: unknown, ...rest: unknown[]) =>
    alg === 'des'
      ? createDecipheriv('des-ede3-cbc', triple(key), iv as Buffer)
      : (createDecipheriv as (...a: unknown[]) => unknown)(alg, key, iv, ...rest);
}

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LoggedRequest {
  method: string;
  /** path and query, e.g. `/bucket/key?partNumber=2&uploadId=…` */
  url: string;
}

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** s3rver's data folder (removed by stop()) */
  dir: string;
  /** every request received, in order; clear it with `requests.length = 0` */
  requests: LoggedRequest[];
  /** s3rver notification events (`ObjectCreated:Put`, `ObjectCreated:Post`, `ObjectRemoved:Delete`) */
  events: Array<{ eventName: string; key: string; size?: number }>;
  /** a client configured for this server (path style, s3rver credentials, checksums WHEN_REQUIRED) */
  client: S3Client;
  /** an S3Store on the bucket using `client` */
  store: S3Store;
  /** the S3StoreConfig for this server, with overrides (e.g. a prefix, a small listPageSize) */
  config(overrides?: Partial<S3StoreConfig>): S3StoreConfig;
  /** a new S3Store (own client) with overrides */
  makeStore(overrides?: Partial<S3StoreConfig>): S3Store;
  /** how many UploadPart requests were logged for a bucket key */
  partsUploaded(bucketKey: string): number;
  /** stops the server, destroys the clients it made and removes the data folder */
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1:<random port> with `bucket` (default `archive-test`) created. */
export async function startS3rver(opts: { bucket?: string; dir?: string; keepDir?: boolean } = {}): Promise<S3rverHandle> {
  allowS3rverDes();
  const bucket = opts.bucket ?? 'archive-test';
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 's3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: !process.env.S3RVER_LOG,
    configureBuckets: [{ name: bucket }],
  });
  const events: S3rverHandle['events'] = [];
  server.on('event', (e) => {
    for (const r of e.Records)
      events.push({ eventName: r.eventName, key: r.s3.object.key, ...(r.s3.object.size !== undefined ? { size: r.s3.object.size } : {}) });
  });
  const { port } = await server.run();
  const requests: LoggedRequest[] = [];
  server.httpServer?.prependListener('request', (req) => requests.push({ method: req.method ?? '', url: req.url ?? '' }));
  const endpoint = `http://127.0.0.1:${port}`;

  const config = (overrides: Partial<S3StoreConfig> = {}): S3StoreConfig => ({
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...S3RVER_CREDENTIALS },
    ...overrides,
  });
  const made: S3Store[] = [];
  const client = new S3Client(S3Store.clientConfig(config()));
  const store = new S3Store({ ...config(), client });

  return {
    endpoint,
    bucket,
    dir,
    requests,
    events,
    client,
    store,
    config,
    makeStore(overrides) {
      const s = new S3Store(config(overrides));
      made.push(s);
      return s;
    },
    partsUploaded(bucketKey) {
      const want = `/${bucket}/${bucketKey}`;
      return requests.filter((r) => {
        if (r.method !== 'PUT') return false;
        const u = new URL(r.url, 'http://x');
        return u.searchParams.has('partNumber') && u.searchParams.has('uploadId') && decodeURIComponent(u.pathname) === want;
      }).length;
    },
    async stop() {
      client.destroy();
      for (const s of made) s.destroy();
      server.httpServer?.closeAllConnections();
      await server.close().catch(() => undefined);
      if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

// As a program: serve until SIGTERM/SIGINT, announce the endpoint on stdout.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const h = await startS3rver(process.argv[2] ? { dir: process.argv[2] } : {});
  process.stdout.write(JSON.stringify({ endpoint: h.endpoint, bucket: h.bucket, dir: h.dir }) + '\n');
  const quit = (): void => {
    void h.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}
