/**
 * Memory benchmark (issue 2, "Benchmarks"): peak RSS while archiving one 1 GiB file to s3rver
 * through S3Store.putFile. Target: under 200 MiB. With `--concurrent N` (issue 9; what
 * bench/memory-s3-concurrent.ts runs) the one child uploads the file N times at once to N keys,
 * target under 400 MiB, and also reports the highest ArrayBuffer memory it saw.
 *
 *   npx tsx bench/memory-s3.ts [--size-mib 1024] [--baseline-mib 1024] [--no-baseline]
 *                              [--part-mib 8] [--queue 2] [--concurrent 1] [--tsx]
 *
 * How it measures:
 *  - s3rver runs in its own child process (test/support/s3rver.ts as a program), so its memory is
 *    not counted;
 *  - each upload runs in a fresh child process that reads its own peak RSS (VmHWM in
 *    /proc/self/status) when done, so nothing else in this process is counted either;
 *  - that child is plain `node` running an esbuild bundle of this file (packages external), the way
 *    worker/dist/cli.js is built and run; tsx's loader alone adds ~30 MiB of RSS (`--tsx` runs the
 *    children under tsx instead, for comparison);
 *  - the baseline, measured in the same run, is the naive buffered way: fs.readFile + one
 *    PutObjectCommand. The ratio printed is baseline peak / streamed peak.
 * The 1 GiB input is random-ish (a 4 MiB random block, stamped per chunk) written in a temp
 * folder, and deleted at the end with s3rver's data.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, bundleScript, exited, firstJsonLine, peakRssMiB, spawnScript } from './support/children.js';

const MiB = 1024 * 1024;
/** one upload; N concurrent uploads (issue 9: 8 × 1 GiB in one process) */
const TARGET_MIB = 200;
const TARGET_CONCURRENT_MIB = 400;
const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '..');
const S3RVER_PROGRAM = join(ROOT, 'test/support/s3rver.ts');

interface ChildResult {
  mode: 'streamed' | 'buffered';
  /** VmHWM after the upload, MiB */
  peakMiB: number;
  /** VmHWM right before the upload started (runtime + SDK loaded), MiB */
  floorMiB: number;
  ms: number;
  bytes: number;
  sha256?: string;
  parts: number;
  headSize: number;
  /** with --concurrent: highest process.memoryUsage().arrayBuffers / heapUsed seen, MiB */
  maxArrayBuffersMiB?: number;
  maxHeapMiB?: number;
}

// ---------------------------------------------------------------------------------------------
// Child: one upload, then report VmHWM as one JSON line on stdout.
// ---------------------------------------------------------------------------------------------
async function child(): Promise<void> {
  const mode = arg('--child') as ChildResult['mode'];
  const endpoint = arg('--endpoint')!;
  const bucket = arg('--bucket')!;
  const file = arg('--file')!;
  const { HeadObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const { S3Store } = await import('../worker/src/storage/s3.js');
  const partMiB = arg('--part-mib');
  const queue = arg('--queue');
  const store = new S3Store({
    bucket,
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...(partMiB ? { partSize: Number(partMiB) * MiB } : {}),
    ...(queue ? { queueSize: Number(queue) } : {}),
  });
  let parts = 0;
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') parts++;
      return next(args);
    },
    { step: 'initialize', name: 'countParts' },
  );
  const key = `bench/${mode}.bin`;
  const floorMiB = peakRssMiB();
  const t0 = Date.now();
  let bytes = 0;
  let sha256: string | undefined;
  const concurrent = Number(arg('--concurrent') ?? 1);
  let sampler: NodeJS.Timeout | undefined;
  const heap = { maxArrayBuffersMiB: 0, maxHeapMiB: 0 };
  if (concurrent > 1) {
    sampler = setInterval(() => {
      const m = process.memoryUsage();
      heap.maxArrayBuffersMiB = Math.max(heap.maxArrayBuffersMiB, m.arrayBuffers / MiB);
      heap.maxHeapMiB = Math.max(heap.maxHeapMiB, m.heapUsed / MiB);
    }, 50);
  }
  if (mode === 'streamed' && concurrent > 1) {
    // N uploads of the same file at once, to N keys: what N jobs uploading together cost
    const rs = await Promise.all(
      Array.from({ length: concurrent }, (_, i) => store.putFile(`bench/concurrent-${i}.bin`, file, { rowId: 'bench' })),
    );
    bytes = rs[0]!.size;
    sha256 = rs.every((r) => r.sha256 === rs[0]!.sha256) ? rs[0]!.sha256 : 'differs';
  } else if (mode === 'streamed') {
    const r = await store.putFile(key, file, { rowId: 'bench' });
    bytes = r.size;
    sha256 = r.sha256;
  } else {
    const body = await readFile(file);
    bytes = body.length;
    await store.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: { 'row-id': 'bench' } }));
  }
  const ms = Date.now() - t0;
  const peakMiB = peakRssMiB();
  if (sampler) clearInterval(sampler);
  const headKey = concurrent > 1 && mode === 'streamed' ? `bench/concurrent-${concurrent - 1}.bin` : key;
  const head = await store.client.send(new HeadObjectCommand({ Bucket: bucket, Key: headKey }));
  store.destroy();
  const out: ChildResult = {
    mode,
    peakMiB,
    floorMiB,
    ms,
    bytes,
    ...(sha256 ? { sha256 } : {}),
    parts,
    headSize: head.ContentLength ?? -1,
    ...(concurrent > 1 ? heap : {}),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Parent: make the file, start s3rver, run both children, print.
// ---------------------------------------------------------------------------------------------

async function runChild(script: string, mode: ChildResult['mode'], endpoint: string, bucket: string, file: string): Promise<ChildResult> {
  const tuning = ['--part-mib', '--queue', ...(mode === 'streamed' ? ['--concurrent'] : [])].flatMap((f) => (arg(f) ? [f, arg(f)!] : []));
  const cp = spawnScript(script, ['--child', mode, '--endpoint', endpoint, '--bucket', bucket, '--file', file, ...tuning], ROOT);
  const r = await firstJsonLine<ChildResult>(cp, `${mode} upload`);
  await exited(cp);
  return r;
}

/** Writes `size` bytes: a 4 MiB random block, its first 8 bytes stamped with the chunk number. */
async function makeFile(path: string, size: number): Promise<void> {
  const block = randomBytes(4 * MiB);
  const fh = await open(path, 'w');
  try {
    for (let off = 0, i = 0; off < size; off += block.length, i++) {
      block.writeBigUInt64BE(BigInt(i), 0);
      const n = Math.min(block.length, size - off);
      await fh.write(block, 0, n, off);
    }
  } finally {
    await fh.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

const fmt = (n: number): string => n.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const sizeMiB = Number(arg('--size-mib') ?? 1024);
  const noBaseline = process.argv.includes('--no-baseline');
  const baselineMiB = Number(arg('--baseline-mib') ?? sizeMiB);
  const useTsx = process.argv.includes('--tsx');
  const concurrent = Number(arg('--concurrent') ?? 1);
  const target = concurrent > 1 ? TARGET_CONCURRENT_MIB : TARGET_MIB;
  const tmp = await mkdtemp(join(tmpdir(), 'bench-memory-s3-'));
  // the bundle must sit inside the checkout so that node resolves node_modules from it (.tmp/ is git-ignored)
  const buildDir = join(ROOT, '.tmp', `bench-memory-s3-${process.pid}`);
  let s3rver: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (s3rver && s3rver.exitCode === null) {
      const exited = new Promise((r) => s3rver!.once('exit', r));
      s3rver.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (s3rver.exitCode === null) s3rver.kill('SIGKILL');
    }
    await rm(tmp, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const file = join(tmp, 'input.bin');
    let t = Date.now();
    await makeFile(file, sizeMiB * MiB);
    const want = await sha256File(file);
    console.log(`input: ${sizeMiB} MiB random-ish file written and hashed in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    const childScript = useTsx ? HERE : await bundleScript(HERE, buildDir, 'memory-s3-child');
    s3rver = spawnScript(S3RVER_PROGRAM, [join(tmp, 's3rver')], ROOT);
    const { endpoint, bucket } = await firstJsonLine<{ endpoint: string; bucket: string }>(s3rver, 's3rver');
    console.log(`s3rver: ${endpoint} (separate process, pid ${s3rver.pid})`);

    t = Date.now();
    const streamed = await runChild(childScript, 'streamed', endpoint, bucket, file);
    console.log(
      `streamed upload${concurrent > 1 ? `s (${concurrent} at once)` : ''} done in ${(streamed.ms / 1000).toFixed(1)} s (${streamed.parts} parts)`,
    );
    const okHash = streamed.sha256 === want;
    const okSize = streamed.headSize === sizeMiB * MiB && streamed.bytes === sizeMiB * MiB;

    let baseline: ChildResult | undefined;
    let baselineFile = file;
    if (!noBaseline) {
      if (baselineMiB !== sizeMiB) {
        baselineFile = join(tmp, 'baseline.bin');
        await makeFile(baselineFile, baselineMiB * MiB);
      }
      baseline = await runChild(childScript, 'buffered', endpoint, bucket, baselineFile);
      console.log(`buffered baseline done in ${(baseline.ms / 1000).toFixed(1)} s`);
    }

    const pass = streamed.peakMiB < target && okHash && okSize;
    console.log('');
    console.log(
      `Memory: archiving ${concurrent > 1 ? `${concurrent} × ` : 'one '}${sizeMiB} MiB file${concurrent > 1 ? 's at once' : ''} to s3rver (upload children: ${useTsx ? 'node --import tsx' : 'plain node, esbuild bundle'})`,
    );
    console.log(
      `  streamed  S3Store.putFile (lib-storage Upload, ${arg('--part-mib') ?? 8} MiB parts × ${arg('--queue') ?? 2} in flight at most, 192 MiB process budget)`,
    );
    console.log(
      `            peak RSS ${fmt(streamed.peakMiB)} MiB   (runtime floor before upload ${streamed.floorMiB.toFixed(1)} MiB)   ${(streamed.ms / 1000).toFixed(1)} s   ${streamed.parts} parts   SHA-256 ${okHash ? 'ok' : 'MISMATCH'}   size ${okSize ? 'ok' : 'MISMATCH'}`,
    );
    if (baseline) {
      const note = baselineMiB !== sizeMiB ? `   NOTE: baseline uses a ${baselineMiB} MiB file, not ${sizeMiB} MiB` : '';
      console.log(`  baseline  fs.readFile + one PutObjectCommand (${baselineMiB} MiB)`);
      console.log(
        `            peak RSS ${fmt(baseline.peakMiB)} MiB   (runtime floor ${baseline.floorMiB.toFixed(1)} MiB)   ${(baseline.ms / 1000).toFixed(1)} s${note}`,
      );
    }
    if (concurrent > 1) {
      const per = (streamed.peakMiB - streamed.floorMiB) / concurrent;
      console.log(
        `            ${per.toFixed(1)} MiB per concurrent upload above the floor; max ArrayBuffers ${streamed.maxArrayBuffersMiB?.toFixed(1)} MiB, max JS heap ${streamed.maxHeapMiB?.toFixed(1)} MiB`,
      );
    }
    console.log(`  target    peak RSS < ${target} MiB  →  ${pass ? 'PASS' : 'FAIL'}`);
    const ratio = baseline ? baseline.peakMiB / streamed.peakMiB : undefined;
    if (ratio !== undefined) console.log(`  ratio     baseline / streamed peak RSS = ${ratio.toFixed(1)}×`);
    console.log(
      'BENCH_RESULT ' +
        JSON.stringify({
          bench: concurrent > 1 ? 'memory-s3-concurrent' : 'memory-s3',
          sizeMiB,
          ...(concurrent > 1
            ? { concurrent, floorRssMiB: +streamed.floorMiB.toFixed(1), maxArrayBuffersMiB: +(streamed.maxArrayBuffersMiB ?? 0).toFixed(1) }
            : {}),
          peakRssMiB: +streamed.peakMiB.toFixed(1),
          targetMiB: target,
          pass,
          baselineMiB: baseline ? baselineMiB : null,
          baselinePeakRssMiB: baseline ? +baseline.peakMiB.toFixed(1) : null,
          ratio: ratio !== undefined ? +ratio.toFixed(2) : null,
          parts: streamed.parts,
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
