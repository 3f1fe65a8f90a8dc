/**
 * Runs every benchmark in bench/ (each `bench/*.ts` except this file; helper programs live in
 * bench/support/ and are not run) one after another, each in its own child process
 * (`node --import tsx bench/<name>.ts`), streaming its output as it comes. Each benchmark's
 * `BENCH_RESULT {json}` line is collected; a final table gives, per benchmark, PASS/FAIL, its key
 * figure, its ratio against the baseline it measured in the same run, and how long it took.
 *
 *   npx tsx bench/run-all.ts [--only name1,name2] [--timeout-min 30]     (npm run bench)
 *
 * A benchmark FAILs when its BENCH_RESULT says `"pass": false`, when it exits non-zero, or when it
 * is killed (signal, or `--timeout-min` reached). Benchmarks that print no BENCH_RESULT line are
 * judged by a `PASS`/`FAIL` word in their output and their exit code; with neither they are
 * listed as "ran" (no target), which is not a failure. Exits 1 when any benchmark failed.
 * Runs sequentially on purpose: they time things, and the machine has two cores.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const BENCH_DIR = dirname(HERE);
const ROOT = dirname(BENCH_DIR);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

type Verdict = 'PASS' | 'FAIL' | 'ran';

interface Outcome {
  name: string;
  verdict: Verdict;
  key: string;
  ratio: string;
  seconds: number;
  note: string;
  result: Record<string, unknown> | null;
}

/** Every bench/*.ts but this one (bench/support/ and other folders are not read). */
function allBenches(): string[] {
  return readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && join(BENCH_DIR, e.name) !== HERE)
    .map((e) => basename(e.name, '.ts'))
    .sort();
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The figure a BENCH_RESULT is about, in words. */
function keyFigure(r: Record<string, unknown>): string {
  if (num(r['overheadPct']))
    return `overhead ${r['overheadPct']} %${num(r['targetPct']) ? ` (target < ${r['targetPct']} %)` : ''}, ${r['observedS']} s vs ${r['baselineS']} s off`;
  if (num(r['peakRssMiB'])) return `peak RSS ${r['peakRssMiB']} MiB${num(r['targetMiB']) ? ` (target < ${r['targetMiB']})` : ''}`;
  if (num(r['archiverCpuPerClipS']) && num(r['baselineCpuPerClipS']))
    return `${r['archiverCpuPerClipS']} vs ${r['baselineCpuPerClipS']} CPU-s/clip baseline`;
  if (Array.isArray(r['runs']) && num(r['baselineS'])) {
    const runs = r['runs'] as { concurrency?: unknown; archiverS?: unknown }[];
    return `${runs.map((x) => `${x.archiverS} s @${x.concurrency}`).join(', ')} vs ${r['baselineS']} s baseline`;
  }
  if (num(r['redisCommandsPerJob']) && num(r['bullmqPerS']))
    return `BullMQ ${r['bullmqPerS']} vs SQLite ${r['sqlitePerS']} jobs/s, ${r['redisCommandsPerJob']} Redis cmds/job (≤ ${r['targetCommandsPerJob']})`;
  if (num(r['archiverS']) && num(r['baselineS'])) return `${r['archiverS']} s vs ${r['baselineS']} s baseline`;
  if (num(r['concurrentS']) && num(r['sequentialS'])) return `${r['concurrentS']} s vs ${r['sequentialS']} s sequential`;
  const skip = /^(bench|pass|ratio|target.*)$/;
  const figures = Object.entries(r).filter(([k, v]) => !skip.test(k) && num(v));
  return (
    figures
      .slice(0, 2)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '—'
  );
}

function ratioOf(r: Record<string, unknown>): string {
  if (Array.isArray(r['runs'])) {
    // one ratio per concurrency (throughput): "3.7× (≥ 3.6×), 6.1× (≥ 6×)"
    const runs = (r['runs'] as { ratio?: unknown; targetRatio?: unknown }[]).filter((x) => num(x.ratio));
    if (runs.length) return runs.map((x) => `${x.ratio}×${num(x.targetRatio) ? ` (≥ ${x.targetRatio}×)` : ''}`).join(', ');
  }
  if (!num(r['ratio'])) return '—';
  // a cost ratio (CPU per clip) has a ceiling, a speed-up ratio a floor
  const op = r['lowerIsBetter'] === true ? '≤' : '≥';
  return `${r['ratio']}×${num(r['targetRatio']) ? ` (${op} ${r['targetRatio']}×)` : ''}`;
}

/**
 * For benchmarks without a BENCH_RESULT line: the verdict from a PASS/FAIL word, the last "N×"
 * as the ratio, and a line that looks like the key figure.
 */
function fromText(lines: string[]): { verdict: Verdict | null; ratio: string; key: string } {
  let verdict: Verdict | null = null;
  let ratio = '—';
  let key = '';
  for (const l of lines) {
    const v = /(?:^|→|\s)(PASS|FAIL)\b/.exec(l.trim());
    if (v) verdict = v[1] as Verdict;
    const m = /(\d+(?:\.\d+)?)×/.exec(l) ?? /\s(\S+\/\S+)\s+(\d+(?:\.\d+)?)\s*$/.exec(l);
    if (m) ratio = m.length > 2 ? `${m[2]}× (${m[1]})` : `${m[1]}×`;
    if (/updates per write request|jobs\/s/.test(l)) {
      // a table row "label   value   baseline" reads as "label: value vs baseline"
      const row = /^\s*(.*?)\s{2,}(\S+)\s{2,}(\S+)\s*$/.exec(l);
      key = row ? `${row[1]}: ${row[2]} vs ${row[3]}` : l.trim().replace(/\s{2,}/g, '  ');
    }
  }
  if (!key)
    key =
      [...lines]
        .reverse()
        .find((l) => l.trim() && !/^(PASS|FAIL)$/.test(l.trim()))
        ?.trim() ?? '—';
  if (key.length > 70) key = key.slice(0, 67) + '…';
  return { verdict, ratio, key };
}

let current: ReturnType<typeof spawn> | null = null;

/** Runs one benchmark, streaming its output; resolves with its outcome. */
function runBench(name: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const cp = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, `${name}.ts`)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      detached: true, // its own process group, so a timeout or Ctrl-C stops its children too
    });
    current = cp;
    const lines: string[] = [];
    let result: Record<string, unknown> | null = null;
    let badResult = '';
    createInterface({ input: cp.stdout! }).on('line', (l) => {
      process.stdout.write(l + '\n');
      lines.push(l);
      const i = l.indexOf('BENCH_RESULT ');
      if (i >= 0) {
        try {
          result = JSON.parse(l.slice(i + 'BENCH_RESULT '.length)) as Record<string, unknown>;
        } catch (err) {
          badResult = `unreadable BENCH_RESULT (${(err as Error).message})`;
        }
      }
    });
    createInterface({ input: cp.stderr! }).on('line', (l) => {
      process.stderr.write(l + '\n');
      lines.push(l);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-cp.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      setTimeout(() => {
        try {
          process.kill(-cp.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 10_000).unref();
    }, timeoutMs);
    cp.on('error', (err) => lines.push(`cannot start: ${err.message}`));
    cp.on('close', (code, signal) => {
      clearTimeout(timer);
      current = null;
      const seconds = (performance.now() - t0) / 1000;
      const r = result as Record<string, unknown> | null;
      const notes: string[] = [];
      let verdict: Verdict;
      let key: string;
      let ratio: string;
      if (r) {
        key = keyFigure(r);
        ratio = ratioOf(r);
        verdict = r['pass'] === false ? 'FAIL' : r['pass'] === true ? 'PASS' : 'ran';
      } else {
        const t = fromText(lines);
        key = t.key;
        ratio = t.ratio;
        verdict = t.verdict ?? 'ran';
        notes.push('no BENCH_RESULT line');
      }
      if (badResult) notes.push(badResult);
      if (timedOut) notes.push(`timed out after ${timeoutMs / 60_000} min`);
      if (signal) notes.push(`killed by ${signal}`);
      else if (code !== 0) notes.push(`exit ${code}`);
      if (timedOut || signal || code !== 0) verdict = 'FAIL';
      resolveRun({ name, verdict, key, ratio, seconds, note: notes.join('; '), result: r });
    });
  });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  const fmt = (r: string[]) =>
    r
      .map((cell, c) => cell + ' '.repeat(widths[c]! - [...cell].length))
      .join('  ')
      .trimEnd();
  return [fmt(rows[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const available = allBenches();
  const only = arg('--only')
    ?.split(',')
    .map((s) => basename(s.trim(), '.ts'))
    .filter(Boolean);
  const unknown = (only ?? []).filter((n) => !available.includes(n));
  if (unknown.length) {
    console.error(`run-all: no such benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})`);
    process.exit(2);
  }
  const benches = only ? available.filter((n) => only.includes(n)) : available;
  const timeoutMs = Number(arg('--timeout-min') ?? 30) * 60_000;

  process.once('SIGINT', () => {
    if (current?.pid) {
      try {
        process.kill(-current.pid, 'SIGINT');
      } catch {
        /* gone */
      }
    }
    process.exit(130);
  });

  console.log(`run-all: ${benches.length} benchmark(s), one after another: ${benches.join(', ')}`);
  const started = performance.now();
  const outcomes: Outcome[] = [];
  for (const [i, name] of benches.entries()) {
    console.log('');
    console.log(`━━━ [${i + 1}/${benches.length}] bench/${name}.ts ${'━'.repeat(Math.max(3, 60 - name.length))}`);
    const o = await runBench(name, timeoutMs);
    outcomes.push(o);
    console.log(`━━━ ${name}: ${o.verdict} in ${o.seconds.toFixed(1)} s${o.note ? ` (${o.note})` : ''}`);
  }

  const failed = outcomes.filter((o) => o.verdict === 'FAIL');
  console.log('');
  console.log(`Benchmark summary (${((performance.now() - started) / 60_000).toFixed(1)} min)`);
  console.log(
    table([
      ['bench', 'result', 'key figure', 'ratio vs baseline', 'time', 'note'],
      ...outcomes.map((o) => [o.name, o.verdict, o.key, o.ratio, `${o.seconds.toFixed(0)} s`, o.note]),
    ]),
  );
  console.log('');
  console.log(failed.length ? `FAIL: ${failed.map((o) => o.name).join(', ')}` : 'PASS: every benchmark with a target met it');
  console.log(
    'BENCH_SUMMARY ' +
      JSON.stringify(
        outcomes.map((o) => ({
          bench: o.name,
          verdict: o.verdict,
          seconds: +o.seconds.toFixed(1),
          result: o.result,
          note: o.note || undefined,
        })),
      ),
  );
  process.exitCode = failed.length ? 1 : 0;
}

await main();
