/**
 * The behaviour every ObjectStore must have (docs/design.md §5), run against the local folder and s3rver
 * by local.test.ts and s3.test.ts. Not a test file itself (vitest collects *.test.ts only).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceName } from '../../shared/columns.js';
import { ArchiveError } from '../../worker/src/errors.js';
import { lookup } from '../../worker/src/storage/lookup.js';
import { metadataKey, objectKey } from '../../worker/src/storage/layout.js';
import { readMetadata, writeMetadata, type MediaMetadata } from '../../worker/src/storage/metadata.js';
import type { ObjectStore, StoredObject } from '../../worker/src/storage/types.js';
import type { RowContext } from '../../worker/src/sources/types.js';

export const MiB = 1024 * 1024;

/** SHA-256 of a file, computed here independently of the stores' HashingStream. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes a file of `size` bytes of random data in 1 MiB chunks. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const chunks: Buffer[] = [];
  for (let left = size; left > 0; left -= MiB) chunks.push(randomBytes(Math.min(MiB, left)));
  await writeFile(path, Buffer.concat(chunks));
}

export function rowContext(rowId: string): RowContext {
  return {
    rowId,
    name: 'Ana Souza',
    email: 'ana@example.org',
    type: 'FF-Fi/Se-CP/B(S) #4',
    spreadsheetId: 'sheet1',
    sheetId: 0,
    sheetName: 'People',
  } as RowContext;
}

/** Archives one media item as a source would: its files, then metadata.json listing them. */
export async function archiveItem(
  store: ObjectStore,
  prefix: string,
  rowId: string,
  source: SourceName,
  mediaId: string,
  files: Record<string, string | Buffer>,
): Promise<{ stored: StoredObject[]; meta: MediaMetadata }> {
  const stored: StoredObject[] = [];
  for (const [name, body] of Object.entries(files)) {
    stored.push(await store.put(objectKey(prefix, rowId, source, mediaId, name), body, { rowId }));
  }
  const meta: MediaMetadata = {
    schema: 1,
    row: rowContext(rowId),
    source,
    mediaId,
    url: source === 'youtube' ? `https://www.youtube.com/watch?v=${mediaId}` : `https://drive.google.com/drive/folders/${mediaId}`,
    title: `Title of ${mediaId}`,
    files: stored.map((s) => ({ key: s.key, size: s.size, sha256: s.sha256 })),
    archivedAt: '2026-11-21T09:15:02Z',
    tools: { 'sheet-archiver': '0.1.0' },
  };
  await writeMetadata(store, prefix, meta);
  return { stored, meta };
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

export interface ContractHooks {
  /** a fresh, empty store */
  store: () => ObjectStore;
  /** extra assertions after the >10 MiB upload (e.g. that S3 used several parts) */
  afterBigUpload?: (key: string, size: number) => void | Promise<void>;
}

/** Registers the shared store tests in the current describe block. */
export function storeContract(hooks: ContractHooks): void {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'store-contract-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('contract', () => {
    it('puts strings, buffers and streams, hashing as it goes; head/getText read back; missing → null', async () => {
      const store = hooks.store();
      const seen: number[] = [];
      const a = await store.put('r1/youtube/v1/a.txt', 'héllo', { rowId: 'r1', onBytes: (b) => seen.push(b) });
      expect(a).toEqual({ key: 'r1/youtube/v1/a.txt', size: Buffer.byteLength('héllo'), sha256: sha256('héllo') });
      expect(seen.at(-1)).toBe(a.size);
      const buf = randomBytes(3000);
      const b = await store.put('r1/youtube/v1/b.bin', buf, { rowId: 'r1', md5: true });
      expect(b.sha256).toBe(sha256(buf));
      expect(b.md5).toBe(createHash('md5').update(buf).digest('hex'));
      const c = await store.put('r1/youtube/v1/c.bin', Readable.from([buf.subarray(0, 1000), buf.subarray(1000)]), { rowId: 'r1' });
      expect(c.size).toBe(3000);
      expect(await store.head('r1/youtube/v1/b.bin')).toEqual({ size: 3000 });
      expect(await store.getText('r1/youtube/v1/a.txt')).toBe('héllo');
      expect(await store.head('r1/youtube/v1/missing')).toBeNull();
      expect(await store.getText('r1/youtube/v1/missing')).toBeNull();
      // overwrite
      await store.put('r1/youtube/v1/a.txt', 'second', { rowId: 'r1' });
      expect(await store.getText('r1/youtube/v1/a.txt')).toBe('second');
    });

    it('streams a file over 10 MiB with the right SHA-256 (computed independently)', async () => {
      const store = hooks.store();
      const size = 12 * MiB + 12345;
      const path = join(tmp, 'big.bin');
      await writeRandomFile(path, size);
      const want = await sha256File(path);
      const key = objectKey('', 'r-big', 'youtube', 'vid', 'big.bin');
      const got = await store.putFile(key, path, { rowId: 'r-big', md5: true });
      expect(got.size).toBe(size);
      expect(got.sha256).toBe(want);
      expect(got.md5).toMatch(/^[0-9a-f]{32}$/);
      expect(await store.head(key)).toEqual({ size });
      await hooks.afterBigUpload?.(key, size);
    });

    it('writes metadata.json with every file, size and SHA-256, and reads it back', async () => {
      const store = hooks.store();
      const files = {
        'video.mp4': randomBytes(5000),
        'video.en.vtt': 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n',
        'video.info.json': '{"title":"t"}',
      };
      const { meta } = await archiveItem(store, 'pre', '151', 'youtube', 'dQw4w9WgXcQ', files);
      const mk = metadataKey('pre', '151', 'youtube', 'dQw4w9WgXcQ');
      expect(mk).toBe('pre/151/youtube/dQw4w9WgXcQ/metadata.json');
      const back = await readMetadata(store, mk);
      expect(back).toEqual(meta);
      for (const [name, body] of Object.entries(files)) {
        const entry = back!.files.find((f) => f.key === `pre/151/youtube/dQw4w9WgXcQ/${name}`);
        expect(entry, name).toBeDefined();
        expect(entry!.sha256).toBe(sha256(body));
        expect(entry!.size).toBe(Buffer.byteLength(body));
      }
      expect(await collect(store.list('pre/151/youtube/dQw4w9WgXcQ/'))).toEqual(
        ['metadata.json', 'video.en.vtt', 'video.info.json', 'video.mp4'].map((f) => `pre/151/youtube/dQw4w9WgXcQ/${f}`),
      );
      // a plain string prefix works as in S3
      expect((await collect(store.list('pre/151/you'))).length).toBe(4);
      expect(await collect(store.list('pre/nothing-here/'))).toEqual([]);
    });

    it('looks a key up to its row, sub-folder files included', async () => {
      const store = hooks.store();
      await archiveItem(store, 'lk', '7', 'drive', 'FOLDER123', { 'top.pdf': 'pdf', 'sub/dir/deep.txt': 'deep' });
      const deep = await lookup(store, 'lk/7/drive/FOLDER123/sub/dir/deep.txt', 'lk');
      expect(deep).toMatchObject({
        key: 'lk/7/drive/FOLDER123/sub/dir/deep.txt',
        rowId: '7',
        source: 'drive',
        mediaId: 'FOLDER123',
        metadataKey: 'lk/7/drive/FOLDER123/metadata.json',
        url: 'https://drive.google.com/drive/folders/FOLDER123',
        title: 'Title of FOLDER123',
        row: rowContext('7'),
        file: { key: 'lk/7/drive/FOLDER123/sub/dir/deep.txt', size: 4, sha256: sha256('deep') },
      });
      const top = await lookup(store, 'lk/7/drive/FOLDER123/top.pdf', 'lk');
      expect(top?.file?.sha256).toBe(sha256('pdf'));
      // the metadata.json itself: the row, no file entry
      const m = await lookup(store, 'lk/7/drive/FOLDER123/metadata.json', 'lk');
      expect(m?.rowId).toBe('7');
      expect(m?.file).toBeUndefined();
      // the wrong prefix still finds it by walking up
      expect((await lookup(store, 'lk/7/drive/FOLDER123/sub/dir/deep.txt', ''))?.rowId).toBe('7');
      // not archived / outside the layout / hostile
      expect(await lookup(store, 'lk/7/drive/FOLDER123/nope.txt', 'lk')).toBeNull();
      expect(await lookup(store, 'lk/8/drive/OTHER/x.txt', 'lk')).toBeNull();
      expect(await lookup(store, 'lk/7/drive', 'lk')).toBeNull();
      expect(await lookup(store, '../../../etc/passwd', 'lk')).toBeNull();
      expect(await lookup(store, 'lk/7/drive/FOLDER123/../../../../etc/passwd', 'lk')).toBeNull();
    });

    it('stores hostile names under sanitised keys that stay in the layout and trace back', async () => {
      const store = hooks.store();
      const rowId = '../R\u0000ow/1';
      const mediaId = '..\\..\\evil';
      const name = '../../' + 'Ωμέγα\u202e'.repeat(60) + '\n.mp4';
      const { stored } = await archiveItem(store, '', rowId, 'youtube', mediaId, { [name]: 'x' });
      const key = stored[0]!.key;
      // row_id and media id segments are percent-encoded, one-to-one (docs/design.md §5)
      expect(key.split('/').slice(0, 3)).toEqual(['%2E.%2FR%00ow%2F1', 'youtube', '%2E.%5C..%5Cevil']);
      for (const seg of key.split('/')) {
        expect(seg).not.toMatch(/^\.+$/);
        expect(seg).not.toMatch(/[\u0000-\u001f\u202e]/);
        expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(200);
      }
      expect(key.endsWith('.mp4')).toBe(true);
      const found = await lookup(store, key, '');
      expect(found?.rowId).toBe(rowId);
      expect(found?.file?.key).toBe(key);
    });

    it('an aborted put throws AbortError and leaves nothing under the key', async () => {
      const store = hooks.store();
      const ac = new AbortController();
      const body = new Readable({ read() {} });
      body.push(randomBytes(1000));
      setTimeout(() => ac.abort(), 50);
      const err = await store.put('ab/youtube/v/partial.bin', body, { rowId: 'ab', signal: ac.signal }).catch((e: unknown) => e);
      expect((err as Error).name).toBe('AbortError');
      expect(await store.head('ab/youtube/v/partial.bin')).toBeNull();
    });

    it('a failing source stream keeps its category (network) and leaves nothing under the key', async () => {
      const store = hooks.store();
      const body = new Readable({ read() {} });
      body.push(randomBytes(1000));
      setTimeout(() => body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 20);
      const err = await store.put('sf/youtube/v/broken.bin', body, { rowId: 'sf' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).category).toBe('network');
      expect(await store.head('sf/youtube/v/broken.bin')).toBeNull();
    });
  });
}
