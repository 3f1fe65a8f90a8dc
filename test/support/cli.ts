/**
 * Runs the built `sheet-archiver` CLI as a child process (asynchronously, so stand-ins served by
 * the test process keep answering), and starts `serve` processes for end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/sheet-archiver.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../worker/dist/cli.js', import.meta.url));

function assertBuilt(): void {
  if (!existsSync(BUNDLE)) throw new Error('worker/dist/cli.js is missing: run `npm run build` (npm test does it)');
}

/** Environment for a child: the parent's, minus anything that would point it at real Google/AWS. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' };
  for (const k of Object.keys(env)) if (/^(GOOGLE_|S3_|AWS_|ARCHIVER_)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

/**
 * The environment of a `serve` under test: its secret and data folder, the media host it may
 * fetch from, and the Sheets/Drive stand-ins it talks to with the stand-ins' test token.
 */
export function workerEnv(o: {
  secret: string;
  dataDir: string;
  mediaHost?: string;
  sheetsUrl?: string;
  drive?: { rootUrl: string; publicBaseUrl: string };
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    ARCHIVER_SECRET: o.secret,
    ARCHIVER_DATA: o.dataDir,
    ARCHIVER_REPORT_WINDOW_MS: '200',
    ARCHIVER_RETRY_SCALE: '0.01',
    // no alert.* events in tests that do not look for them (Debian's yt-dlp alone would raise ytdlp_age)
    ARCHIVER_ALERT_INTERVAL: 'off',
    // a SIGTERM in a test's clean-up hands running jobs back after 3 s instead of the default 30
    ARCHIVER_SHUTDOWN_S: '3',
    ...(o.mediaHost ? { ARCHIVER_ALLOWED_HOSTS: o.mediaHost } : {}),
    ...(o.sheetsUrl || o.drive ? { GOOGLE_ACCESS_TOKEN: 'test-token' } : {}),
    ...(o.sheetsUrl ? { GOOGLE_SHEETS_ROOT_URL: o.sheetsUrl } : {}),
    ...(o.drive ? { GOOGLE_DRIVE_ROOT_URL: o.drive.rootUrl, GOOGLE_DRIVE_PUBLIC_URL: o.drive.publicBaseUrl } : {}),
    ...o.extra,
  };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sheet-archiver ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  baseUrl: string;
  port: number;
  /** everything written to stderr so far */
  stderr(): string;
  /** SIGKILL, no cleanup: a crash */
  kill(): Promise<void>;
  /** SIGTERM and wait */
  stop(): Promise<void>;
}

/**
 * Spawns the CLI with `argv` (stderr collected, stdout ignored) and waits (30 s at most) until
 * its stderr matches `ready`. @throws Error with the stderr so far when it times out or exits first.
 */
async function spawnReady(
  name: string,
  argv: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string; exited: Promise<number | null> }> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...argv], { env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${err}`)), 30_000);
    child.stderr!.on('data', () => {
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${err}`));
    });
  });
  return { child, match, stderr: () => err, exited };
}

/** Starts `sheet-archiver serve` (with `args`, e.g. `--no-runner`) on a free port and waits until it listens. */
export async function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const { child, match, stderr, exited } = await spawnReady(
    'serve',
    ['serve', '--port', '0', '--host', '127.0.0.1', ...args],
    env,
    /listening on http:\/\/[^:]+:(\d+)/,
  );
  const port = Number(match[1]);
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stderr,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface WorkProcess {
  child: ChildProcess;
  /** everything written to stderr so far */
  stderr(): string;
  /** SIGTERM; resolves with the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL, no cleanup */
  kill(): Promise<void>;
}

/** Starts `sheet-archiver work` (runner only, no API) and waits until it runs. */
export async function startWork(env: Record<string, string>): Promise<WorkProcess> {
  const { child, stderr, exited } = await spawnReady('work', ['work'], env, /sheet-archiver \S+ working/);
  return {
    child,
    stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
