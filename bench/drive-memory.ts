/**
 * Memory benchmark (issue 4, "Benchmarks"): peak RSS while the Drive source archives one 300 MB
 * file (files.get alt=media → LocalStore). Target: under 150 MiB.
 *
 *   npx tsx bench/drive-memory.ts [--size-mib 300] [--no-baseline] [--no-drop] [--tsx]
 *
 * How it measures:
 *  - the Drive v3 stand-in runs in this (parent) process and generates the file's bytes on the
 *    fly; the archiving runs in fresh child processes that read their own peak RSS (VmHWM in
 *    /proc/self/status) when done, so the server is not counted;
 *  - the children are plain `node` running an esbuild bundle of this file (packages external),
 *    the way the worker is built and run (`--tsx` runs them under tsx instead: ~30 MiB more);
 *  - three children, same run: `idle` (runtime + Drive source loaded, no download: the floor),
 *    `streamed` (createDriveSource().archive, the connection dropped once mid-body and resumed
 *    with Range unless --no-drop), and the baseline `buffered` (the naive way: alt=media with
 *    responseType 'arraybuffer', then store.put of the Buffer).
 *    The ratio printed is buffered peak / streamed peak; streamed − idle is printed too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, bundleScript, exited, firstJsonLine, peakRssMiB, spawnScript } from './support/children.js';

const MiB = 1024 * 1024;
const TARGET_MIB = 150;
const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '..');

type Mode = 'idle' | 'streamed' | 'buffered';

interface ChildResult {
  mode: Mode;
  /** VmHWM when done, MiB */
  peakMiB: number;
  /** VmHWM before the download (runtime + modules loaded), MiB */
  floorMiB: number;
  ms: number;
  bytes: number;
  sha256?: string;
  md5?: string;
}

// ---------------------------------------------------------------------------------------------
// Child: one download, then VmHWM as one JSON line on stdout. Loads only what the worker loads.
// ---------------------------------------------------------------------------------------------
async function child(): Promise<void> {
  const mode = arg('--child') as Mode;
  const rootUrl = arg('--root-url')!;
  const fileId = arg('--file-id')!;
  const dir = arg('--dir')!;
  const { auth } = await import('googleapis/build/src/apis/drive/index.js');
  const { createDriveSource, createDriveApi } = await import('../worker/src/sources/drive/index.js');
  const { LocalStore } = await import('../worker/src/storage/local.js');
  const { silentLogger } = await import('../worker/src/log.js');
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: 'test-token' });
  const store = new LocalStore(dir);
  const source = createDriveSource({ auth: client, rootUrl });
  const floorMiB = peakRssMiB();
  const t0 = Date.now();
  let out: ChildResult;
  if (mode === 'idle') {
    out = { mode, peakMiB: peakRssMiB(), floorMiB, ms: 0, bytes: 0 };
  } else if (mode === 'streamed') {
    const now = new Date().toISOString();
    const r = await source.archive(`https://drive.google.com/file/d/${fileId}/view`, {
      job: {
        jobId: 'bench',
        dispatchId: 'bench',
        idempotencyKey: 'bench',
        spreadsheetId: 'bench',
        sheetId: 0,
        sheetName: 'bench',
        rowId: 'bench',
        rowNumber: 2,
        name: '',
        email: '',
        type: '',
        source: 'drive',
        links: [],
        options: { sources: ['drive'], transcriptOnly: false, audioOnly: false, maxHeight: 1080, retry: 'auto' },
        status: 'downloading',
        attempt: 1,
        maxAttempts: 3,
        error: null,
        files: [],
        mediaIds: [],
        progress: null,
        createdAt: now,
        updatedAt: now,
        startedAt: now,
        finishedAt: null,
        nextRunAt: null,
      },
      store,
      prefix: '',
      workDir: dir,
      signal: new AbortController().signal,
      log: silentLogger,
      onProgress: () => {},
    });
    const f = r.files[0]!;
    out = { mode, peakMiB: peakRssMiB(), floorMiB, ms: Date.now() - t0, bytes: f.size, sha256: f.sha256, ...(f.md5 ? { md5: f.md5 } : {}) };
  } else {
    const drive = createDriveApi(client, rootUrl);
    const res = await drive.files.get({ fileId, alt: 'media' }, { responseType: 'arraybuffer', retry: false });
    const body = Buffer.from(res.data as unknown as ArrayBuffer);
    const s = await store.put('bench/buffered.bin', body, { rowId: 'bench', md5: true });
    out = { mode, peakMiB: peakRssMiB(), floorMiB, ms: Date.now() - t0, bytes: s.size, sha256: s.sha256, ...(s.md5 ? { md5: s.md5 } : {}) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Parent: the stand-in, the children, the report.
// ---------------------------------------------------------------------------------------------

async function runChild(script: string, mode: Mode, rootUrl: string, fileId: string, dir: string): Promise<ChildResult> {
  const cp = spawnScript(script, ['--child', mode, '--root-url', rootUrl, '--file-id', fileId, '--dir', dir], ROOT);
  const r = await firstJsonLine<ChildResult>(cp, `${mode} child`);
  await exited(cp);
  return r;
}

const fmt = (n: number): string => n.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const sizeMiB = Number(arg('--size-mib') ?? 300);
  const noBaseline = process.argv.includes('--no-baseline');
  const drop = !process.argv.includes('--no-drop');
  const useTsx = process.argv.includes('--tsx');
  // a non-literal specifier keeps esbuild from pulling the stand-in (and all of googleapis) into the child bundle
  const standInModule = '../test/support/driveStandIn.js';
  const { startDriveStandIn, sha256Of } = (await import(standInModule)) as typeof import('../test/support/driveStandIn.js');
  const tmp = await mkdtemp(join(tmpdir(), 'bench-drive-memory-'));
  const buildDir = join(ROOT, '.tmp', `bench-drive-memory-${process.pid}`);
  const standIn = await startDriveStandIn();
  const cleanup = async () => {
    await standIn.close();
    await rm(tmp, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const size = sizeMiB * MiB;
    const content = { seed: 4242, size };
    let t = Date.now();
    const file = await standIn.addFile({ name: 'big.bin', content, ...(drop ? { dropAfterBytes: Math.floor(size * 0.41) + 17 } : {}) });
    const want = await sha256Of(content);
    console.log(
      `input: ${sizeMiB} MiB generated file on the Drive stand-in (md5 + sha256 computed in ${((Date.now() - t) / 1000).toFixed(1)} s)`,
    );
    const script = useTsx ? HERE : await bundleScript(HERE, buildDir, 'drive-memory-child');

    const idle = await runChild(script, 'idle', standIn.rootUrl, file.id, join(tmp, 'idle'));
    t = Date.now();
    const streamed = await runChild(script, 'streamed', standIn.rootUrl, file.id, join(tmp, 'streamed'));
    const mediaReqs = standIn.requestsFor('media', file.id);
    const okHash = streamed.sha256 === want;
    const okMd5 = streamed.md5 === file.md5;
    const okSize = streamed.bytes === size;
    let baseline: ChildResult | undefined;
    if (!noBaseline) baseline = await runChild(script, 'buffered', standIn.rootUrl, file.id, join(tmp, 'buffered'));

    const pass = streamed.peakMiB < TARGET_MIB && okHash && okMd5 && okSize;
    const ratio = baseline ? baseline.peakMiB / streamed.peakMiB : undefined;
    console.log('');
    console.log(
      `Memory: archiving one ${sizeMiB} MiB Drive file, alt=media → LocalStore (children: ${useTsx ? 'node --import tsx' : 'plain node, esbuild bundle'})`,
    );
    console.log(`  idle      runtime + Drive source loaded, no download`);
    console.log(`            peak RSS ${fmt(idle.peakMiB)} MiB`);
    console.log(
      `  streamed  createDriveSource().archive${drop ? `, connection dropped once at ${(Math.floor(size * 0.41) / MiB).toFixed(0)} MiB and resumed with Range` : ''} (${mediaReqs.length} media requests)`,
    );
    console.log(
      `            peak RSS ${fmt(streamed.peakMiB)} MiB   (floor before download ${streamed.floorMiB.toFixed(1)} MiB)   ${(streamed.ms / 1000).toFixed(1)} s   ` +
        `SHA-256 ${okHash ? 'ok' : 'MISMATCH'}   md5 ${okMd5 ? 'ok' : 'MISMATCH'}   size ${okSize ? 'ok' : 'MISMATCH'}`,
    );
    if (baseline) {
      console.log(`  baseline  buffered: files.get alt=media as arraybuffer, then store.put(Buffer)`);
      console.log(`            peak RSS ${fmt(baseline.peakMiB)} MiB   ${(baseline.ms / 1000).toFixed(1)} s`);
    }
    console.log(`  growth    streamed − idle = ${(streamed.peakMiB - idle.peakMiB).toFixed(1)} MiB`);
    if (ratio !== undefined) console.log(`  ratio     baseline (buffered) / streamed peak RSS = ${ratio.toFixed(1)}×`);
    console.log(`  target    peak RSS < ${TARGET_MIB} MiB  →  ${pass ? 'PASS' : 'FAIL'}`);
    console.log(
      'BENCH_RESULT ' +
        JSON.stringify({
          bench: 'drive-memory',
          sizeMiB,
          peakRssMiB: +streamed.peakMiB.toFixed(1),
          idlePeakRssMiB: +idle.peakMiB.toFixed(1),
          targetMiB: TARGET_MIB,
          pass,
          baselinePeakRssMiB: baseline ? +baseline.peakMiB.toFixed(1) : null,
          ratio: ratio !== undefined ? +ratio.toFixed(2) : null,
          resumed: mediaReqs.length > 1,
          seconds: +(streamed.ms / 1000).toFixed(1),
        }),
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await cleanup();
  }
}

if (process.argv.includes('--child')) await child();
else await main();
