/**
 * Verify benchmark (issue 10 item 7): `verifyArchive` throughput in MB/s over a local archive of
 * random bytes with their metadata.json files (default 200 files, 1 GiB), against the raw read
 * speed of the same files, `cat file > /dev/null` for each, measured in the same run. Both run on
 * the same (warm) page cache, alternately, the median of five each (the machine is shared). Target
 * ≥ 0.8× the raw speed.
 *
 *   npx tsx bench/verify.ts [files=200] [totalMiB=1024]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyArchive } from '../worker/src/catalogue/verify.js';
import { LocalStore } from '../worker/src/storage/local.js';
import { writeMetadata, type MediaMetadata } from '../worker/src/storage/metadata.js';

const FILES = Number(process.argv[2] ?? 200);
const TOTAL_MIB = Number(process.argv[3] ?? 1024);
const TARGET = 0.8;
const MB = 1e6;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sa-bench-verify-'));
  try {
    const store = new LocalStore(join(dir, 'archive'));
    const size = Math.floor((TOTAL_MIB * 1024 * 1024) / FILES);
    const paths: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const rowId = `r${i}`;
      const key = `${rowId}/youtube/m${i}/clip.mp4`;
      const body = randomBytes(size);
      const path = store.pathOf(key);
      const stored = await store.put(key, body, { rowId });
      paths.push(path);
      const meta: MediaMetadata = {
        schema: 1,
        row: { rowId, name: 'Bench', email: '', type: 'T', spreadsheetId: 'ss-bench', sheetId: 0, sheetName: 'People' },
        source: 'youtube',
        mediaId: `m${i}`,
        url: `https://www.youtube.com/watch?v=m${i}`,
        files: [{ key, size: stored.size, sha256: createHash('sha256').update(body).digest('hex'), kind: 'media' }],
        archivedAt: new Date().toISOString(),
        tools: {},
      };
      await writeMetadata(store, '', meta);
    }
    const bytes = size * FILES;
    const list = join(dir, 'files.txt');
    writeFileSync(list, paths.join('\n') + '\n');
    // CPU seconds too (children's for cat, this process's threads for verify): a figure the shared machine's load does not move
    const catCpu: number[] = [];
    const verifyCpu: number[] = [];
    const cat = () => {
      const t = performance.now();
      const r = spawnSync('sh', ['-c', 'while IFS= read -r f; do cat "$f" > /dev/null; done < "$1"; times', 'sh', list], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error('cat failed');
      const s = (performance.now() - t) / 1000;
      // `times` prints the shell's then its children's user/sys: "0m0.01s 0m0.02s\n0m0.10s 0m0.80s"
      const child = (r.stdout ?? '').trim().split('\n').pop() ?? '';
      const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].reduce((a, m) => a + Number(m[1]) * 60 + Number(m[2]), 0);
      catCpu.push(secs);
      return s;
    };
    const verify = async () => {
      const t = performance.now();
      const c0 = process.cpuUsage();
      const r = await verifyArchive(store, { catalogue: null });
      const c = process.cpuUsage(c0);
      verifyCpu.push((c.user + c.system) / 1e6);
      if (r.findings.length || r.checkedBytes !== bytes)
        throw new Error(`verify found ${r.findings.length} problem(s), read ${r.checkedBytes} B`);
      return (performance.now() - t) / 1000;
    };
    cat(); // warm the page cache for both
    const rawS: number[] = [];
    const verifyS: number[] = [];
    for (let i = 0; i < 5; i++) {
      rawS.push(cat());
      verifyS.push(await verify());
    }
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const raw = bytes / MB / median(rawS);
    const ver = bytes / MB / median(verifyS);
    const ratio = Math.round((ver / raw) * 100) / 100;
    const gib = bytes / 1024 ** 3;
    const catCpuPerGiB = Math.round((median(catCpu.slice(1)) / gib) * 100) / 100;
    const verifyCpuPerGiB = Math.round((median(verifyCpu) / gib) * 100) / 100;
    console.log(`files ${FILES}, ${(bytes / 1024 ** 3).toFixed(2)} GiB, load ${loadavg()[0]!.toFixed(1)}`);
    console.log(`raw read (cat > /dev/null): ${raw.toFixed(0)} MB/s (runs ${rawS.map((s) => s.toFixed(2)).join(', ')} s)`);
    console.log(`verify (size + SHA-256):    ${ver.toFixed(0)} MB/s (runs ${verifyS.map((s) => s.toFixed(2)).join(', ')} s)`);
    console.log(`CPU per GiB: cat ${catCpuPerGiB} s, verify ${verifyCpuPerGiB} s (SHA-256 is the difference)`);
    console.log(`ratio ${ratio}× (target ≥ ${TARGET}×) → ${ratio >= TARGET ? 'PASS' : 'FAIL'}`);
    const result = {
      bench: 'verify',
      files: FILES,
      bytes,
      verifyMBps: Math.round(ver),
      rawMBps: Math.round(raw),
      ratio,
      targetRatio: TARGET,
      catCpuPerGiB,
      verifyCpuPerGiB,
      loadAvg: Math.round(loadavg()[0]! * 10) / 10,
      pass: ratio >= TARGET,
    };
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
