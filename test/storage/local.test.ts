import { PassThrough } from 'node:stream';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createStore } from '../../worker/src/storage/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { lookup } from '../../worker/src/storage/lookup.js';
import { archiveItem, collect, sha256, storeContract } from './contract.js';

let base: string;
let n = 0;
const fresh = (): LocalStore => new LocalStore(join(base, `root${++n}`));

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'local-store-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('LocalStore', () => {
  it('lists a stored file named *.tmp, but never an in-flight write', async () => {
    const s = new LocalStore(join(base, 'tmpnames'));
    await s.put('151/drive/f1/notes.tmp', 'a real file', { rowId: '151' });
    const slow = new PassThrough();
    const inflight = s.put('151/drive/f1/big.bin', slow, { rowId: '151' });
    slow.write('partial');
    await new Promise((r) => setTimeout(r, 20));
    const keys: string[] = [];
    for await (const k of s.list('151/')) keys.push(k);
    expect(keys).toEqual(['151/drive/f1/notes.tmp']);
    slow.end();
    await inflight;
  });

  storeContract({ store: fresh });

  it('createStore builds it from a config; describe() is a file URL', () => {
    const s = createStore({ kind: 'local', root: join(base, 'made') });
    expect(s).toBeInstanceOf(LocalStore);
    expect(s.describe()).toBe(pathToFileURL(join(base, 'made')).href);
  });

  it('writes bytes to <root>/<key> and leaves no temp files in listings', async () => {
    const store = fresh();
    await store.put('1/youtube/v/f.txt', 'data', { rowId: '1' });
    expect(await readFile(join(store.root, '1/youtube/v/f.txt'), 'utf8')).toBe('data');
    expect(await collect(store.list(''))).toEqual(['1/youtube/v/f.txt']);
    expect(await store.locate('1/youtube/v/f.txt')).toBe(join(store.root, '1/youtube/v/f.txt'));
  });

  it('looks up from a local path: absolute, file:// URL and ./relative', async () => {
    const store = fresh();
    await archiveItem(store, '', '42', 'drive', 'FOLD', { 'a/b/c.txt': 'ccc', 'top.bin': 'top' });
    const abs = join(store.root, '42/drive/FOLD/a/b/c.txt');
    const byAbs = await lookup(store, abs, '');
    expect(byAbs).toMatchObject({
      key: '42/drive/FOLD/a/b/c.txt',
      rowId: '42',
      source: 'drive',
      mediaId: 'FOLD',
      file: { sha256: sha256('ccc') },
    });
    expect((await lookup(store, pathToFileURL(abs).href, ''))?.rowId).toBe('42');
    const rel = './' + relative(process.cwd(), join(store.root, '42/drive/FOLD/top.bin'));
    expect((await lookup(store, rel, ''))?.file?.sha256).toBe(sha256('top'));
    // a path outside the root
    expect(await lookup(store, join(base, 'elsewhere/42/drive/FOLD/top.bin'), '')).toBeNull();
    expect(await lookup(store, '/etc/passwd', '')).toBeNull();
  });

  it('refuses keys that escape the root', () => {
    const store = fresh();
    expect(() => store.pathOf('../outside')).toThrow(ArchiveError);
    expect(() => store.pathOf('a/../../outside')).toThrow(/escapes/);
  });

  it('checkWritable and put fail with file_io when the root cannot be created (its parent is a regular file)', async () => {
    // tests run as root, so chmod cannot make a folder read-only: use a path under a file instead
    const file = join(base, 'plain-file');
    await writeFile(file, 'not a folder');
    const store = new LocalStore(join(file, 'archive'));
    const err = await store.checkWritable().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).category).toBe('file_io');
    expect((err as Error).message).toContain('not writable');
    const put = await store.put('1/youtube/v/f', 'x', { rowId: '1' }).catch((e: unknown) => e);
    expect((put as ArchiveError).category).toBe('file_io');
    await expect(fresh().checkWritable()).resolves.toBeUndefined();
  });
});
