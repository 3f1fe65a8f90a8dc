/**
 * Events, metrics and run logs overhead on the throughput benchmark (issue 11, "Benchmarks":
 * target < 3 %). The same `run` of a CSV of clips from the throttled media host (the host of
 * bench/throughput.ts, in a child process), with everything issue 11 added on — job events into
 * the durable event log, Prometheus metrics (prom-client counters, histograms, the store and
 * backend wrappers), the per-run log file with its summary — and with all of it off (the
 * baseline; the ideal overhead is 0 %). On and off alternate, the order swapping every round, and
 * the medians of the wall times are compared; CPU seconds (user + sys of the run's process tree)
 * are compared too, and the CPU of the worker process alone (where all of it runs; yt-dlp's
 * children excluded), the steadiest figure on a shared machine: with other work on the two cores
 * the wall medians move by several per cent from round to round, either way.
 *
 *   npx tsx bench/events-overhead.ts [--clips 16] [--concurrency 4] [--rounds 5]
 *                                     [--kbps 6000] [--throttle 1000000] [--first-byte-ms 200]
 *
 * Each run is a child process (bench/support/observedRun.ts, bundled with esbuild like the
 * worker) on a fresh ARCHIVER_DATA, archive folder and CSV; it must archive every clip, and the
 * `on` runs must leave a run log whose summary counts every clip (the `off` runs none).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import type { MediaHostOptions } from '../test/support/mediaHost.js';
import { arg, bundleScript } from './support/children.js';
import { childCpuSeconds, cleanEnv, HostProcess, median, run, type Served } from './support/throttledHost.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_PCT = 3;
const CLIPS = Number(arg('--clips') ?? 16);
const CONCURRENCY = Number(arg('--concurrency') ?? 4);
const ROUNDS = Math.max(1, Number(arg('--rounds') ?? 5));
const HOST_OPTIONS: MediaHostOptions = {
  clipCount: CLIPS,
  clipSeconds: 2,
  clipKbps: Number(arg('--kbps') ?? 6000),
  throttleBytesPerSec: Number(arg('--throttle') ?? 1_000_000),
  firstByteDelayMs: Number(arg('--first-byte-ms') ?? 200),
};

type Mode = 'on' | 'off';
interface Result {
  ms: number;
  cpuS: number;
  /** the worker process alone (no yt-dlp) */
  workerCpuS: number;
  ok: boolean;
  detail: string;
}

async function once(program: string, served: Served, tmp: string, mode: Mode, round: number): Promise<Result> {
  const dir = await mkdtemp(join(tmp, `${mode}-${round}-`));
  const sheet = join(dir, 'sheet.csv');
  const data = join(dir, 'data');
  const rows = served.clips.map((c, i) => [
    String(1001 + i),
    `Person ${i + 1}`,
    `p${i + 1}@example.org`,
    'FF',
    `${served.baseUrl}/clips/${c}.mp4`,
  ]);
  await writeFile(sheet, stringify([['row_id', 'name', 'email', 'type', 'video'], ...rows]));
  const cpu0 = childCpuSeconds();
  const r = await run(process.execPath, [program, sheet, join(dir, 'archive'), served.host, String(CONCURRENCY), mode], {
    cwd: dir,
    env: cleanEnv({ ARCHIVER_DATA: data, LOG_LEVEL: 'error' }),
  });
  const cpuS = childCpuSeconds() - cpu0;
  let ok = r.code === 0;
  let detail = ok ? '' : `exit ${r.code}\n${r.out.slice(-2000)}`;
  let workerCpuS = NaN;
  if (ok) {
    const summary = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{'))!) as {
      bySource: { youtube: { completed: number } };
      workerCpuS: number;
    };
    workerCpuS = summary.workerCpuS;
    const logs = join(data, 'logs', 'runs');
    const files = existsSync(logs) ? readdirSync(logs) : [];
    const last = files.length ? JSON.parse(readFileSync(join(logs, files[0]!), 'utf8').trim().split('\n').at(-1)!) : null;
    const completed = summary.bySource.youtube.completed;
    const logged = mode === 'on' ? last?.summary?.completed === served.clips.length : files.length === 0;
    ok = completed === served.clips.length && logged;
    detail = `${completed}/${served.clips.length} completed; ${mode === 'on' ? `run log summary: ${last?.summary?.completed ?? 'none'} completed` : `run logs: ${files.length}`}`;
  }
  await rm(dir, { recursive: true, force: true });
  return { ms: r.ms, cpuS, workerCpuS, ok, detail };
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'bench-events-overhead-'));
  const buildDir = join(ROOT, '.tmp', `bench-events-overhead-${process.pid}`);
  const host = HostProcess.start(HOST_OPTIONS);
  try {
    // inside the checkout, so the bundle's bare imports resolve from node_modules
    const program = await bundleScript(join(ROOT, 'bench/support/observedRun.ts'), buildDir, 'observedRun');
    const served = await host.next<Served>('serving');
    const mb = served.clips.reduce((n, c) => n + served.clipBytes[c]!, 0) / 1e6;
    const load0 = loadavg()[0]!;
    console.log(
      `${served.clips.length} clips (${mb.toFixed(1)} MB) from ${served.baseUrl}, ${(HOST_OPTIONS.throttleBytesPerSec! / 1e6).toFixed(2)} MB/s per connection, --concurrency ${CONCURRENCY}; ${ROUNDS} rounds of on/off (order swapped each round); ${cpus().length} CPUs, load ${load0.toFixed(2)}`,
    );
    // untimed warm-up: page cache for yt-dlp and the bundle
    await once(program, served, tmp, 'off', 0);

    const results: Record<Mode, Result[]> = { on: [], off: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Mode[] = round % 2 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        const r = await once(program, served, tmp, mode, round);
        results[mode].push(r);
        if (!r.ok) console.log(r.detail);
        console.log(
          `  [round ${round}] ${mode.padEnd(3)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  CPU ${r.cpuS.toFixed(2).padStart(5)} s (worker ${r.workerCpuS.toFixed(2)} s)  ${r.ok ? 'ok' : 'FAILED'}: ${r.detail.split('\n')[0]}`,
        );
      }
    }
    const wall = { on: median(results.on.map((r) => r.ms)), off: median(results.off.map((r) => r.ms)) };
    const cpu = { on: median(results.on.map((r) => r.cpuS)), off: median(results.off.map((r) => r.cpuS)) };
    const worker = { on: median(results.on.map((r) => r.workerCpuS)), off: median(results.off.map((r) => r.workerCpuS)) };
    const overheadPct = ((wall.on - wall.off) / wall.off) * 100;
    const workerCpuExtraS = worker.on - worker.off;
    const cpuOverheadPct = ((cpu.on - cpu.off) / cpu.off) * 100;
    const allOk = [...results.on, ...results.off].every((r) => r.ok);
    const pass = allOk && overheadPct < TARGET_PCT;
    console.log('');
    console.log(`Events + metrics + run logs overhead on the throughput run (median of ${ROUNDS})`);
    console.log(
      `  off (baseline)  ${(wall.off / 1000).toFixed(2)} s wall, ${cpu.off.toFixed(2)} CPU-s (worker process ${worker.off.toFixed(2)})`,
    );
    console.log(
      `  on              ${(wall.on / 1000).toFixed(2)} s wall, ${cpu.on.toFixed(2)} CPU-s (worker process ${worker.on.toFixed(2)})`,
    );
    console.log(
      `  overhead        wall ${overheadPct.toFixed(2)} % (ideal 0 %, target < ${TARGET_PCT} %) → ${pass ? 'PASS' : 'FAIL'}${allOk ? '' : ' (a run did not archive every clip)'}; CPU ${cpuOverheadPct.toFixed(2)} %`,
    );
    // the steadiest figure on a shared machine: what the worker process itself spent more
    console.log(
      `  worker CPU      ${workerCpuExtraS >= 0 ? '+' : ''}${workerCpuExtraS.toFixed(3)} s per run (${((workerCpuExtraS / cpu.off) * 100).toFixed(2)} % of the run's CPU, ${((workerCpuExtraS / served.clips.length) * 1000).toFixed(1)} ms per clip)`,
    );
    console.log(`  machine         load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
    console.log(
      'BENCH_RESULT ' +
        JSON.stringify({
          bench: 'events-overhead',
          clips: served.clips.length,
          concurrency: CONCURRENCY,
          rounds: ROUNDS,
          baselineS: +(wall.off / 1000).toFixed(2),
          observedS: +(wall.on / 1000).toFixed(2),
          overheadPct: +overheadPct.toFixed(2),
          cpuOverheadPct: +cpuOverheadPct.toFixed(2),
          workerCpuExtraS: +workerCpuExtraS.toFixed(3),
          targetPct: TARGET_PCT,
          ratio: +(wall.on / wall.off).toFixed(3),
          targetRatio: 1 + TARGET_PCT / 100,
          lowerIsBetter: true,
          idealPct: 0,
          allArchived: allOk,
          pass,
        }),
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await host.stop();
    await rm(tmp, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

await main();
