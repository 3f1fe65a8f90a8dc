/**
 * CPU seconds per clip (issue 7, "Benchmarks"): what archiving one clip costs the machine, all
 * tracking included, against one bare `yt-dlp <url>` process per clip.
 *
 *  - baseline: `yt-dlp -o '<dir>/%(id)s.%(ext)s' <url>`, one process per clip, one after another
 *    (yt-dlp's defaults: every extractor, no info JSON, no subtitles, no thumbnail);
 *  - archiver: the real CLI, `node bin/sheet-archiver.js run <sheet.csv> --concurrency 2
 *    --allow-host 127.0.0.1:PORT --out <dir>`, one clip link per row, with everything it does:
 *    the durable queue, the host guard proxy, info JSON, subtitles, thumbnail, SHA-256,
 *    metadata.json, statuses written back into the CSV; with the yt-dlp helpers (the default),
 *    and, for comparison only, with `ARCHIVER_YTDLP_HELPERS=0` (one yt-dlp process per link).
 *
 * CPU is user + sys of the whole process tree of each run: this process's cutime + cstime from
 * /proc/self/stat before and after, which counts every descendant once it is reaped (the CLI waits
 * for its helpers and yt-dlp for its ffmpeg). Wall time is not the point here, so the machine's
 * load matters little. The media host runs in a child process that is reaped only at the end, so
 * its CPU is not counted.
 *
 * Target: archiver CPU per clip ≤ 1.2 × the baseline's.
 *
 *   npx tsx bench/cpu-per-clip.ts [--clips 12] [--seconds 2] [--build]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

const TARGET = 1.2;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin/sheet-archiver.js');
const HOST_PROGRAM = join(ROOT, 'bench/support/mediaHostProcess.ts');
const YTDLP = process.env['YTDLP_PATH'] || 'yt-dlp';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CLIPS = Number(arg('--clips') ?? 12);
const SECONDS = Number(arg('--seconds') ?? 2);

/** user + sys seconds of this process's reaped descendants (cutime + cstime, /proc/self/stat). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const cp = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => void (out = (out + d.toString()).slice(-50_000));
    cp.stdout.on('data', keep);
    cp.stderr.on('data', keep);
    cp.on('error', rej);
    cp.on('close', (code) => res({ code, out }));
  });
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ARCHIVER_|S3_|GOOGLE_)/.test(k)) env[k] = v;
  return { ...env, NODE_NO_WARNINGS: '1', ...extra };
}

interface Served {
  baseUrl: string;
  host: string;
  clips: string[];
  clipBytes: Record<string, number>;
}

function startHost(): { cp: ChildProcess; served: Promise<Served> } {
  const cp = spawn(process.execPath, ['--import', 'tsx', HOST_PROGRAM, JSON.stringify({ clipCount: CLIPS, clipSeconds: SECONDS })], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const served = new Promise<Served>((res, rej) => {
    createInterface({ input: cp.stdout! }).once('line', (l) => res(JSON.parse(l) as Served));
    cp.once('exit', (c) => rej(new Error(`media host exited (${c})`)));
  });
  return { cp, served };
}

async function baseline(s: Served, tmp: string): Promise<{ cpuS: number; ok: boolean }> {
  const dir = await mkdtemp(join(tmp, 'baseline-'));
  const cpu0 = childCpuSeconds();
  let ok = true;
  for (const c of s.clips) {
    const r = await run(YTDLP, ['-o', join(dir, '%(id)s.%(ext)s'), `${s.baseUrl}/clips/${c}.mp4`], cleanEnv(), dir);
    ok &&= r.code === 0 && existsSync(join(dir, `${c}.mp4`));
  }
  const cpuS = childCpuSeconds() - cpu0;
  await rm(dir, { recursive: true, force: true });
  return { cpuS, ok };
}

async function archiver(s: Served, tmp: string, helpers: boolean): Promise<{ cpuS: number; ok: boolean; detail: string }> {
  const dir = await mkdtemp(join(tmp, 'archiver-'));
  const sheet = join(dir, 'sheet.csv');
  const rows = s.clips.map((c, i) => [String(2001 + i), `Person ${i + 1}`, '', 'FF-Fi/Se-CP/B(S) #1', `${s.baseUrl}/clips/${c}.mp4`]);
  await writeFile(sheet, stringify([['row_id', 'name', 'email', 'type', 'video'], ...rows]));
  const cpu0 = childCpuSeconds();
  const r = await run(
    process.execPath,
    [CLI, 'run', sheet, '--concurrency', '2', '--allow-host', s.host, '--out', join(dir, 'archive')],
    cleanEnv({ ARCHIVER_DATA: join(dir, 'data'), ARCHIVER_YTDLP_HELPERS: helpers ? '1' : '0' }),
    dir,
  );
  const cpuS = childCpuSeconds() - cpu0;
  const records = parse(readFileSync(sheet), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const done = records.filter((x) => x['youtube_status'] === 'completed').length;
  await rm(dir, { recursive: true, force: true });
  return {
    cpuS,
    ok: r.code === 0 && done === s.clips.length,
    detail: r.code === 0 ? `${done}/${s.clips.length} rows completed` : `exit ${r.code}\n${r.out.slice(-2000)}`,
  };
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'worker/dist/cli.js')) || process.argv.includes('--build')) {
    const b = await run(process.execPath, [join(ROOT, 'scripts/build.mjs')], process.env);
    if (b.code !== 0) throw new Error(`build failed:\n${b.out}`);
  }
  const tmp = await mkdtemp(join(tmpdir(), 'bench-cpu-'));
  const host = startHost();
  try {
    const s = await host.served;
    await run(YTDLP, ['--version'], cleanEnv());
    await run(process.execPath, [CLI, '--version'], cleanEnv());
    const load0 = loadavg()[0]!;
    console.log(`media host ${s.baseUrl}; ${s.clips.length} clips × ${SECONDS} s; ${cpus().length} CPUs, load average ${load0.toFixed(2)}`);
    const b = await baseline(s, tmp);
    console.log(
      `  baseline  bare yt-dlp <url>, one process per clip       CPU ${b.cpuS.toFixed(2)} s  = ${(b.cpuS / CLIPS).toFixed(3)} s/clip  ${b.ok ? 'ok' : 'FAILED'}`,
    );
    const a = await archiver(s, tmp, true);
    console.log(
      `  archiver  run --concurrency 2, yt-dlp helpers (default)  CPU ${a.cpuS.toFixed(2)} s  = ${(a.cpuS / CLIPS).toFixed(3)} s/clip  ${a.ok ? 'ok' : 'FAILED'}: ${a.detail}`,
    );
    const p = await archiver(s, tmp, false);
    console.log(
      `  (compare) run --concurrency 2, one yt-dlp per link       CPU ${p.cpuS.toFixed(2)} s  = ${(p.cpuS / CLIPS).toFixed(3)} s/clip  ${p.ok ? 'ok' : 'FAILED'}: ${p.detail}`,
    );
    const ratio = a.cpuS / b.cpuS;
    const pass = a.ok && b.ok && ratio <= TARGET;
    console.log(
      `  ratio     archiver / baseline CPU per clip = ${ratio.toFixed(2)}× (one process per link: ${(p.cpuS / b.cpuS).toFixed(2)}×)`,
    );
    console.log(`  target    ≤ ${TARGET}×  →  ${pass ? 'PASS' : 'FAIL'}`);
    console.log(
      'BENCH_RESULT ' +
        JSON.stringify({
          bench: 'cpu-per-clip',
          clips: CLIPS,
          baselineCpuPerClipS: +(b.cpuS / CLIPS).toFixed(3),
          archiverCpuPerClipS: +(a.cpuS / CLIPS).toFixed(3),
          perProcessCpuPerClipS: +(p.cpuS / CLIPS).toFixed(3),
          ratio: +ratio.toFixed(2),
          targetRatio: TARGET,
          lowerIsBetter: true,
          perProcessRatio: +(p.cpuS / b.cpuS).toFixed(2),
          loadAvgBefore: +load0.toFixed(2),
          allTracked: a.ok && p.ok,
          pass,
        }),
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    host.cp.stdin?.end();
    await new Promise((r) => host.cp.once('exit', r));
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
