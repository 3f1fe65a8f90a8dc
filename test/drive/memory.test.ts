/**
 * A 300 MB Drive file streams into the store with flat memory: RSS is sampled every 25 ms while
 * it downloads (the stand-in generates the bytes on the fly, so it adds no buffer of its own),
 * and the stored file's sha256 and md5 are checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriveSource } from '../../worker/src/sources/drive/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { driveLinks, sha256Of, startDriveStandIn, testAuth, testContext, type DriveStandIn } from '../support/driveStandIn.js';

const SIZE = 300 * 1024 * 1024;
const MiB = 1024 * 1024;

let standIn: DriveStandIn;
let dir: string;

beforeAll(async () => {
  standIn = await startDriveStandIn();
  dir = await mkdtemp(join(tmpdir(), 'drive-mem-'));
});
afterAll(async () => {
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

describe('drive source: memory', () => {
  it('streams a 300 MB file with flat memory, dropped once mid-way and resumed', async () => {
    const content = { seed: 300, size: SIZE };
    const f = await standIn.addFile({ name: 'big.bin', content, dropAfterBytes: 123 * MiB + 17 });
    const store = new LocalStore(dir);
    const src = createDriveSource({ auth: testAuth(), rootUrl: standIn.rootUrl });

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    let r;
    try {
      r = await src.archive(driveLinks.file(f.id), testContext(store));
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = (peak - baseline) / MiB;
    console.log(
      `300 MB download: RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, growth ${growth.toFixed(1)} MiB`,
    );
    // a buffered download would grow by ≥ 300 MiB
    expect(growth).toBeLessThan(100);

    expect(standIn.requestsFor('media', f.id).map((q) => q.status)).toEqual([200, 206]);
    const stored = r.files[0]!;
    expect(stored.size).toBe(SIZE);
    expect(stored.md5).toBe(f.md5);
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    for await (const c of createReadStream(store.pathOf(stored.key), { highWaterMark: 1 << 20 })) {
      sha.update(c as Buffer);
      md5.update(c as Buffer);
    }
    const fileSha = sha.digest('hex');
    expect(fileSha).toBe(stored.sha256);
    expect(md5.digest('hex')).toBe(f.md5);
    expect(fileSha).toBe(await sha256Of(content));
  });
});
