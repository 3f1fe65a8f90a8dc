/**
 * What the throughput benchmarks share (bench/throughput.ts, bench/events-overhead.ts): the
 * throttled media host in a child process (bench/support/mediaHostProcess.ts, so it does not
 * compete for this process's CPU), running a command with its output captured, the clean
 * environment of the timed runs, children's CPU seconds, and the median.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MediaHostOptions } from '../../test/support/mediaHost.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOST_PROGRAM = join(ROOT, 'bench/support/mediaHostProcess.ts');

/** What the host prints once serving: its URL, allow-list entry, clip names and sizes. */
export interface Served {
  baseUrl: string;
  host: string;
  clips: string[];
  mediaDir: string;
  clipBytes: Record<string, number>;
}

/** Requests served since the last `stats()`. */
export interface HostStats {
  requests: number;
  bytes: number;
  byPath: Record<string, number>;
}

/** user + sys seconds of this process's reaped children (and theirs), from /proc/self/stat. */
export function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17
  return (Number(fields[13]) + Number(fields[14])) / 100; // CLK_TCK is 100 on Linux
}

/** Runs a command to completion, capturing its output. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const cp = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    cp.stdout.on('data', keep);
    cp.stderr.on('data', keep);
    cp.on('error', reject);
    cp.on('close', (code) => resolveRun({ code, out, ms: performance.now() - t0 }));
  });
}

/** The environment of the runs: no ARCHIVER_*, S3_* or GOOGLE_* settings from outside. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ARCHIVER_|S3_|GOOGLE_)/.test(k)) env[k] = v;
  return { ...env, NODE_NO_WARNINGS: '1', ...extra };
}

/** The media host in a child process; `next()` reads its JSON lines, `stats()` its request log. */
export class HostProcess {
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly queued: string[] = [];
  private stderr = '';

  constructor(readonly cp: ChildProcess) {
    this.lines = createInterface({ input: cp.stdout! });
    this.lines.on('line', (l) => {
      if (!l.startsWith('{')) return;
      const w = this.waiting.shift();
      if (w) w(l);
      else this.queued.push(l);
    });
    cp.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
  }

  static start(options: MediaHostOptions): HostProcess {
    const cp = spawn(process.execPath, ['--import', 'tsx', HOST_PROGRAM, JSON.stringify(options)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    return new HostProcess(cp);
  }

  /** The next JSON line the host prints. */
  next<T>(what: string): Promise<T> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(JSON.parse(q) as T);
    return new Promise<T>((res, rej) => {
      const onExit = (code: number | null) => rej(new Error(`the media host exited (${code}) before ${what}:\n${this.stderr.trim()}`));
      this.cp.once('exit', onExit);
      this.waiting.push((l) => {
        this.cp.off('exit', onExit);
        res(JSON.parse(l) as T);
      });
    });
  }

  /** Requests served since the last call (the host resets its log). */
  stats(): Promise<HostStats> {
    this.cp.stdin!.write('stats\n');
    return this.next<HostStats>('stats');
  }

  async stop(): Promise<void> {
    if (this.cp.exitCode !== null || this.cp.signalCode !== null) return;
    const exited = new Promise((r) => this.cp.once('exit', r));
    this.cp.stdin!.end();
    const t = setTimeout(() => this.cp.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
