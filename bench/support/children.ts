/**
 * What the memory benchmarks share: measuring a child process's peak RSS (VmHWM), spawning the
 * benchmark itself as a child (bundled the way scripts/build.mjs bundles the worker, so tsx's
 * loader is not counted), and reading the child's one JSON result line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** This process's peak resident set size so far, MiB (VmHWM from /proc/self/status). */
export function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / (1024 * 1024);
}

/** The value after `--name` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Spawns `node [--import tsx] <script> …args` in `cwd` (tsx only for a .ts script), stdout and stderr piped. */
export function spawnScript(script: string, args: string[], cwd: string): ChildProcess {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return spawn(process.execPath, [...loader, script, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
}

/** Bundles `entry` into `<outdir>/<name>.mjs` with esbuild (packages external), as the worker is built. */
export async function bundleScript(entry: string, outdir: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

/**
 * The first line of `cp`'s stdout that starts with `{`, parsed.
 * @throws Error with the end of its stderr when it exits before printing one.
 */
export function firstJsonLine<T>(cp: ChildProcess, what: string): Promise<T> {
  let stderr = '';
  cp.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const rl = createInterface({ input: cp.stdout! });
  return new Promise<T>((resolveLine, reject) => {
    rl.on('line', (line) => {
      if (line.startsWith('{')) resolveLine(JSON.parse(line) as T);
    });
    cp.on('exit', (code, sig) => reject(new Error(`${what} exited (${code ?? sig}) before reporting:\n${stderr.trim()}`)));
    cp.on('error', reject);
  });
}

/** Resolves when `cp` has exited. */
export function exited(cp: ChildProcess): Promise<void> {
  return new Promise((res) => (cp.exitCode !== null || cp.signalCode !== null ? res() : cp.once('exit', () => res())));
}
