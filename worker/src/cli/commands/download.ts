/**
 * `sheet-archiver assets <asset_id> --download [file]` (docs/catalogue.md, "Download it"): copies
 * an asset's file out of storage (local folder, or S3 through a 5-minute presigned GET URL),
 * streamed with bounded memory, checking its SHA-256 against the catalogue on the way. Writes
 * `<file>.part` and renames it when the bytes match; `-` writes to stdout.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { catalogueTarget } from '../../catalogue/index.js';
import { Catalogue } from '../../catalogue/repository.js';
import { PRESIGN_TTL_S } from '../../server/routes/content.js';
import { LocalStore } from '../../storage/local.js';
import { S3Store } from '../../storage/s3.js';
import { storeFromConfig } from '../../system.js';
import { configWith, UsageError } from '../context.js';
import { formatBytes, printJson } from '../output.js';

/** The asset's bytes as a stream, from whichever store holds them. */
async function openObject(store: Awaited<ReturnType<typeof storeFromConfig>>, key: string): Promise<Readable> {
  if (store instanceof LocalStore) return createReadStream(store.pathOf(key), { highWaterMark: 256 * 1024 });
  if (store instanceof S3Store) {
    const res = await fetch(await store.presignGet(key, { expiresIn: PRESIGN_TTL_S }));
    if (!res.ok || !res.body) throw new Error(`storage answered HTTP ${res.status} for ${key}`);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }
  throw new Error(`cannot read from a ${store.kind} store`);
}

/**
 * Downloads one asset. `file` true: its file name in the current folder; `-`: stdout.
 * Exit code 1 when the asset is unknown or its bytes do not match the catalogue's SHA-256.
 */
export async function downloadAction(assetId: string | undefined, o: { download: string | true; json?: boolean }): Promise<void> {
  if (!assetId) throw new UsageError('--download: name the asset (sheet-archiver assets <asset_id> --download [file])');
  const config = configWith({});
  const catalogue = await Catalogue.open(catalogueTarget(config));
  try {
    const asset = await catalogue.getAsset(assetId);
    if (!asset || asset.status !== 'stored') {
      process.stderr.write(`assets: no stored asset ${assetId}\n`);
      process.exitCode = 1;
      return;
    }
    const store = await storeFromConfig(config);
    const toStdout = o.download === '-';
    const target = toStdout ? '-' : resolve(o.download === true ? asset.fileName.split('/').pop()! : o.download);
    const part = `${target}.part`;
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(await openObject(store, asset.objectKey), count, toStdout ? process.stdout : createWriteStream(part));
    } catch (err) {
      if (!toStdout) await rm(part, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== asset.sha256) {
      if (!toStdout) await rm(part, { force: true });
      process.stderr.write(
        `assets: ${asset.objectKey}: SHA-256 ${sha256} differs from the catalogue's ${asset.sha256}; the stored file may be corrupt (sheet-archiver verify)\n`,
      );
      process.exitCode = 1;
      return;
    }
    if (!toStdout) await rename(part, target);
    if (o.json && !toStdout) printJson({ assetId, file: target, bytes, sha256 });
    else if (!toStdout) process.stderr.write(`${target}: ${formatBytes(bytes)}, sha256 ${sha256.slice(0, 16)}… matches the catalogue\n`);
  } finally {
    await catalogue.close();
  }
}
