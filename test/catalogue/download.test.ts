/**
 * `sheet-archiver assets <asset_id> --download [file]` from the built CLI, on the local store and
 * on s3rver: the bytes land in the file, checked against the catalogue's SHA-256; a corrupt stored
 * file is refused with exit code 1 and leaves nothing behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetIdOf } from '../../worker/src/catalogue/assets.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { objectKey } from '../../worker/src/storage/layout.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { runCli } from '../support/cli.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { youtubeItem } from './fixtures.js';

const NAME = 'Ñandú take.mp4';
const id = assetIdOf(objectKey('', '151', 'youtube', 'vid151', NAME));

let dir: string;
let s3: S3rverHandle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-download-'));
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A data folder whose catalogue lists row 151's files in `store`. */
async function archive(data: string, store: ObjectStore): Promise<void> {
  const cat = await Catalogue.open({ engine: 'sqlite', path: join(data, 'catalogue.db') });
  attachMetadataSink(store, catalogueSink(cat));
  await writeMetadata(store, '', await youtubeItem(store, { rowId: '151', mediaId: 'vid151', extraFiles: [NAME] }));
  await cat.close();
}

describe('assets --download', () => {
  it('copies a file out of the local store, checked, and refuses a corrupt one', async () => {
    const data = join(dir, 'local');
    const store = new LocalStore(join(data, 'archive'));
    await archive(data, store);
    const out = join(dir, 'copy.mp4');
    const r = await runCli(['assets', id, '--download', out], { ARCHIVER_DATA: data });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`extra ${NAME}`);
    expect(r.stderr).toMatch(/matches the catalogue/);

    const piped = await runCli(['assets', id, '--download', '-'], { ARCHIVER_DATA: data });
    expect(piped.stdout).toBe(`extra ${NAME}`);

    writeFileSync(store.pathOf(objectKey('', '151', 'youtube', 'vid151', NAME)), 'flipped bytes');
    const bad = await runCli(['assets', id, '--download', join(dir, 'bad.mp4')], { ARCHIVER_DATA: data });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/differs from the catalogue/);
    expect(existsSync(join(dir, 'bad.mp4'))).toBe(false);
    expect(existsSync(join(dir, 'bad.mp4.part'))).toBe(false);

    const none = await runCli(['assets', 'a_0000', '--download'], { ARCHIVER_DATA: data });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no stored asset a_0000');
  }, 60_000);

  it('copies a file out of S3 through a presigned URL', async () => {
    const data = join(dir, 's3');
    await archive(data, s3.makeStore());
    const out = join(dir, 's3-copy.mp4');
    const env = {
      ARCHIVER_DATA: data,
      ARCHIVER_STORAGE: 's3',
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    };
    const r = await runCli(['assets', id, '--download', out, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ assetId: id, file: out, bytes: Buffer.byteLength(`extra ${NAME}`) });
    expect(readFileSync(out, 'utf8')).toBe(`extra ${NAME}`);
    expect(s3.requests.some((q) => q.method === 'GET' && q.url.includes('X-Amz-Signature='))).toBe(true);
  }, 60_000);
});
