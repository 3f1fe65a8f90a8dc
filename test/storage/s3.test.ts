import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createStore } from '../../worker/src/storage/index.js';
import { lookup } from '../../worker/src/storage/lookup.js';
import { S3Store, classifyS3Error, decodeMetaValue, encodeMetaValue } from '../../worker/src/storage/s3.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { archiveItem, collect, MiB, sha256, storeContract } from './contract.js';

let s3: S3rverHandle;
let n = 0;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('S3Store on s3rver', () => {
  // each contract test gets its own prefix in the shared bucket, so they stay independent
  storeContract({
    store: () => s3.makeStore({ prefix: `contract${++n}` }),
    afterBigUpload: (key, size) => {
      const bucketKey = `contract${n}/${key}`;
      const parts = s3.partsUploaded(bucketKey);
      expect(parts).toBe(Math.ceil(size / (8 * MiB)));
      expect(parts).toBeGreaterThan(1);
      expect(s3.events.some((e) => e.eventName === 'ObjectCreated:Post' && e.key === bucketKey && e.size === size)).toBe(true);
    },
  });

  it('uses several parts for a 10+ MiB file with a 5 MiB part size, and one PutObject for a small one', async () => {
    const store = s3.makeStore({ partSize: 5 * MiB, queueSize: 2 });
    const big = Buffer.alloc(11 * MiB, 0x5a);
    const r = await store.put('mp/youtube/v/big.bin', big, { rowId: 'mp' });
    expect(r.sha256).toBe(sha256(big));
    expect(s3.partsUploaded('mp/youtube/v/big.bin')).toBe(3);
    await store.put('mp/youtube/v/small.bin', 'small', { rowId: 'mp' });
    expect(s3.partsUploaded('mp/youtube/v/small.bin')).toBe(0);
    expect(
      s3.requests.some(
        (q) => q.method === 'PUT' && q.url.startsWith(`/${s3.bucket}/mp/youtube/v/small.bin`) && !q.url.includes('uploadId'),
      ),
    ).toBe(true);
    // no multipart upload is left open
    expect(
      s3.requests.filter((q) => q.method === 'POST' && q.url.includes('mp/youtube/v/big.bin') && q.url.includes('uploadId=')).length,
    ).toBe(1);
  });

  it('tags every object with x-amz-meta-row-id, non-ASCII row ids RFC 2047-encoded', async () => {
    const store = s3.store;
    await store.put('151/youtube/v/a.txt', 'a', { rowId: '151' });
    const ascii = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: '151/youtube/v/a.txt' }));
    expect(ascii.Metadata).toEqual({ 'row-id': '151' });

    const rowId = 'Ñandú-行-😀 ' + 'ü'.repeat(40);
    await store.put('u/youtube/v/b.txt', 'b', { rowId });
    const raw = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'u/youtube/v/b.txt' }));
    expect(raw.Metadata?.['row-id']).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)+$/);
    expect(await store.headObject('u/youtube/v/b.txt')).toMatchObject({ size: 1, rowId });
    // metadata.json carries the row id too, and lookup reads it back
    await archiveItem(store, '', rowId, 'youtube', 'vid', { 'x.mp4': 'x' });
    const keys = await collect(store.list(''));
    const fileKey = keys.find((k) => k.endsWith('/youtube/vid/x.mp4'))!;
    expect((await lookup(store, fileKey, ''))?.rowId).toBe(rowId);
    expect((await store.headObject(fileKey))?.rowId).toBe(rowId);
  });

  it('encodeMetaValue/decodeMetaValue round-trip and stay header-safe', () => {
    for (const v of ['151', '', 'a b', 'Ñ', '行'.repeat(100), 'tab\there', 'looks =?like?= a word', '😀'.repeat(30)]) {
      const enc = encodeMetaValue(v);
      expect(enc).toMatch(/^[\x20-\x7e]*$/);
      expect(decodeMetaValue(enc)).toBe(v);
      for (const word of enc.split(' ')) if (word.startsWith('=?')) expect(word.length).toBeLessThanOrEqual(75);
    }
    expect(decodeMetaValue('=?UTF-8?Q?=C3=91and=C3=BA_x?=')).toBe('Ñandú x');
  });

  it('keeps keys relative to the store prefix and looks up from a key or an s3:// URL', async () => {
    const store = s3.makeStore({ prefix: '/tenant-a/archive/' });
    expect(store.prefix).toBe('tenant-a/archive');
    await archiveItem(store, 'lay', '9', 'drive', 'F9', { 'sub/one.txt': '1' });
    const inBucket = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant-a/' }));
    expect(inBucket.Contents?.map((c) => c.Key).sort()).toEqual([
      'tenant-a/archive/lay/9/drive/F9/metadata.json',
      'tenant-a/archive/lay/9/drive/F9/sub/one.txt',
    ]);
    expect(await collect(store.list('lay/'))).toEqual(['lay/9/drive/F9/metadata.json', 'lay/9/drive/F9/sub/one.txt']);
    const byKey = await lookup(store, 'lay/9/drive/F9/sub/one.txt', 'lay');
    expect(byKey).toMatchObject({ rowId: '9', source: 'drive', mediaId: 'F9', file: { sha256: sha256('1') } });
    const byUrl = await lookup(store, `s3://${s3.bucket}/tenant-a/archive/lay/9/drive/F9/sub/one.txt`, 'lay');
    expect(byUrl?.key).toBe('lay/9/drive/F9/sub/one.txt');
    expect((await lookup(store, 'tenant-a/archive/lay/9/drive/F9/sub/one.txt', 'lay'))?.rowId).toBe('9');
    expect(await lookup(store, `s3://other-bucket/tenant-a/archive/lay/9/drive/F9/sub/one.txt`, 'lay')).toBeNull();
  });

  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const store = s3.makeStore({ prefix: 'paging', listPageSize: 4 });
    const keys = Array.from({ length: 15 }, (_, i) => `p/youtube/v/f${String(i).padStart(2, '0')}.txt`);
    await Promise.all(keys.map((k) => store.put(k, k, { rowId: 'p' })));
    const before = s3.requests.length;
    expect(await collect(store.list('p/'))).toEqual(keys);
    const lists = s3.requests.slice(before).filter((q) => q.method === 'GET' && q.url.includes('list-type=2'));
    expect(lists.length).toBe(4);
    expect(lists.filter((q) => q.url.includes('continuation-token=')).length).toBe(3);
  });

  it('locate() gives a presigned GET URL that serves the object', async () => {
    await s3.store.put('loc/youtube/v/file.txt', 'presigned body', { rowId: 'loc' });
    const url = await s3.store.locate('loc/youtube/v/file.txt');
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('presigned body');
  });

  it('checkWritable passes on the bucket, fails with file_io on a missing bucket, network when unreachable', async () => {
    await expect(s3.store.checkWritable()).resolves.toBeUndefined();
    const missing = s3.makeStore({ bucket: 'no-such-bucket' });
    const e1 = await missing.checkWritable().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ArchiveError);
    expect((e1 as ArchiveError).category).toBe('file_io');
    expect((e1 as Error).message).toMatch(/NoSuchBucket/);
    const put = await missing.put('x/youtube/v/f', 'x', { rowId: 'x' }).catch((e: unknown) => e);
    expect((put as ArchiveError).category).toBe('file_io');

    const down = s3.makeStore({ endpoint: `http://127.0.0.1:${await closedPort()}`, maxAttempts: 1 });
    const e2 = await down.checkWritable().catch((e: unknown) => e);
    expect((e2 as ArchiveError).category).toBe('network');
    const e3 = await down.head('x').catch((e: unknown) => e);
    expect((e3 as ArchiveError).category).toBe('network');
  });

  it('maps SDK errors: 5xx and timeouts → network, other S3 answers → file_io', () => {
    expect(
      classifyS3Error(Object.assign(new Error('x'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }), 'op').category,
    ).toBe('network');
    expect(classifyS3Error(Object.assign(new Error('x'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }), 'op').category).toBe(
      'network',
    );
    expect(classifyS3Error(Object.assign(new Error('x'), { name: 'TimeoutError' }), 'op').category).toBe('network');
    expect(classifyS3Error(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'op').category).toBe('network');
    expect(
      classifyS3Error(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), 'op').category,
    ).toBe('file_io');
    expect(classifyS3Error(Object.assign(new Error('x'), { code: 'ENOSPC' }), 'op').category).toBe('file_io');
  });

  it('createStore builds it; describe() never shows credentials', () => {
    const store = createStore({
      kind: 's3',
      bucket: 'b',
      prefix: 'p',
      endpoint: 'https://user:hunter2@minio.example:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
    });
    expect(store).toBeInstanceOf(S3Store);
    const d = store.describe();
    expect(d).toBe('s3://b/p (endpoint https://minio.example:9000)');
    expect(d).not.toMatch(/hunter2|AKIA|wJalr/);
    expect(createStore({ kind: 's3', bucket: 'aws-bucket' }).describe()).toBe('s3://aws-bucket');
    expect(() => createStore({ kind: 's3', bucket: '' })).toThrow(ArchiveError);
    expect(() => createStore({ kind: 's3', bucket: 'b', partSize: MiB })).toThrow(/5 MiB/);
  });

  it('putFile: a missing file is file_io; huge files get bigger parts (≤ 10,000) and less parallelism', async () => {
    const e = await s3.store.putFile('m/youtube/v/f', '/nonexistent/file.bin', { rowId: 'm' }).catch((err: unknown) => err);
    expect((e as ArchiveError).category).toBe('file_io');
    const store = s3.makeStore();
    const tuning = (size: number | undefined): { partSize: number; queueSize: number } => store['tuning'](size);
    expect(tuning(undefined)).toEqual({ partSize: 8 * MiB, queueSize: 2 });
    expect(tuning(50 * 1024 * MiB)).toEqual({ partSize: 8 * MiB, queueSize: 2 });
    const huge = tuning(200 * 1024 * MiB);
    expect(Math.ceil((200 * 1024 * MiB) / huge.partSize)).toBeLessThanOrEqual(10_000);
    expect(huge.partSize % MiB).toBe(0);
    expect(huge.partSize * huge.queueSize).toBeLessThanOrEqual(Math.max(16 * MiB, huge.partSize));
    expect(huge.queueSize).toBeGreaterThanOrEqual(1);
  });

  it('refuses malformed keys', async () => {
    for (const bad of ['', '/abs', 'a/../b', './a']) {
      const e = await s3.store.put(bad, 'x', { rowId: '1' }).catch((err: unknown) => err);
      expect((e as ArchiveError).category).toBe('validation');
    }
  });
});
