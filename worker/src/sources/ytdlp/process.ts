/**
 * Running yt-dlp: spawned through yt-dlp-wrap (`exec`, which passes our spawn options through),
 * in its own process group (`detached: true` → setsid), so that cancel and timeout can kill the
 * whole tree — yt-dlp and the ffmpeg it starts — with one `kill(-pgid)`: SIGTERM, then SIGKILL
 * after a grace period. yt-dlp-wrap's own abort handling only kills direct children
 * (`pgrep -P`), so we pass it no signal and kill the group ourselves.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import ytDlpWrapModule from 'yt-dlp-wrap';

type WrapClass = typeof ytDlpWrapModule.default;

/** yt-dlp-wrap is CommonJS with `exports.default`; ESM loaders differ on unwrapping it. */
function wrapClass(): WrapClass {
  let m: unknown = ytDlpWrapModule;
  for (let i = 0; i < 3 && typeof m !== 'function' && m && typeof m === 'object'; i++) m = (m as { default?: unknown }).default;
  if (typeof m !== 'function') throw new Error('yt-dlp-wrap: cannot find its YTDlpWrap class');
  return m as WrapClass;
}

export interface RunOptions {
  binary: string;
  args: string[];
  cwd: string;
  signal: AbortSignal;
  /** kill the run after this many ms (0/undefined: no limit) */
  timeoutMs?: number;
  /** ms between SIGTERM and SIGKILL; default 3000 */
  killGraceMs?: number;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** called once the process started, with its pid (= its process group id) */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** whole stdout (kept only when asked with `keepStdout`) */
  stdout: string;
  /** whole stderr */
  stderr: string;
  aborted: boolean;
  timedOut: boolean;
  /** set when the binary could not be started (ENOENT, EACCES) */
  spawnError?: Error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while any process of the group exists (zombies included until reaped). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills a process group: SIGTERM, wait up to `graceMs`, then SIGKILL, and wait (≤ 2 s) until it
 * is gone.
 */
export async function killProcessGroup(pgid: number, graceMs = 3000): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* already gone */
    }
  };
  send('SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < termDeadline) await sleep(50);
  if (groupAlive(pgid)) send('SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
}

/**
 * Runs yt-dlp to completion, cancellation or timeout. Never rejects for the process's own
 * failure: the caller reads `code`, `stderr`, `aborted`, `timedOut`, `spawnError`.
 * @param keepStdout collect stdout into `stdout` (listing runs); default false.
 */
/**
 * Kills a run's process group, once, when its signal aborts or its timeout passes; says which.
 * Shared by a spawned yt-dlp (runYtDlp) and a run inside a helper (pool.ts). `pid` is read when
 * the kill happens (a spawned child may not have one yet).
 */
export class RunKillSwitch {
  aborted = false;
  timedOut = false;
  /** the kill in progress, or null */
  killing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout | null;
  private readonly onAbort = (): void => {
    this.aborted = true;
    this.kill();
  };

  constructor(
    private readonly pid: () => number | undefined,
    private readonly o: Pick<RunOptions, 'signal' | 'timeoutMs' | 'killGraceMs'>,
  ) {
    if (o.signal.aborted) this.onAbort();
    else o.signal.addEventListener('abort', this.onAbort, { once: true });
    this.timer = o.timeoutMs
      ? setTimeout(() => {
          this.timedOut = true;
          this.kill();
        }, o.timeoutMs)
      : null;
  }

  /** SIGTERM then SIGKILL to the whole group (killProcessGroup); later calls join the first. */
  kill(): void {
    const pid = this.pid();
    if (!this.killing && pid) this.killing = killProcessGroup(pid, this.o.killGraceMs ?? 3000);
  }

  /** The run ended: stop the timer and the abort listener. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.o.signal.removeEventListener('abort', this.onAbort);
  }
}

export function runYtDlp(o: RunOptions, keepStdout = false): Promise<RunResult> {
  return new Promise<RunResult>((resolvePromise) => {
    const Wrap = wrapClass();
    // The environment: no proxy variables (the guard proxy is passed explicitly), no colours.
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', NO_COLOR: '1' };
    for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'])
      delete env[k];
    const emitter = new Wrap(o.binary).exec(o.args, { cwd: o.cwd, env, detached: true }, null);
    const child = emitter.ytDlpProcess as ChildProcessWithoutNullStreams;
    let stdout = '';
    let stderr = '';
    let spawnError: Error | undefined;
    let settled = false;

    // yt-dlp-wrap re-emits a non-zero exit as 'error': handled through 'close' below instead.
    emitter.on('error', () => {});
    child.stdin.end();

    const sw = new RunKillSwitch(() => child.pid, o);

    const outLines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    outLines.on('line', (l) => {
      if (keepStdout) stdout += l + '\n';
      o.onStdoutLine?.(l);
    });
    const errLines = createInterface({ input: child.stderr, crlfDelay: Infinity });
    errLines.on('line', (l) => {
      stderr += l + '\n';
      o.onStderrLine?.(l);
    });

    child.on('spawn', () => child.pid && o.onSpawn?.(child.pid));
    const finish = async (code: number | null, sig: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      sw.dispose();
      // Make sure nothing of the group outlives the run (ffmpeg left behind by a crash, say).
      if (child.pid && groupAlive(child.pid)) sw.kill();
      if (sw.killing) await sw.killing;
      resolvePromise({ code, signal: sig, stdout, stderr, aborted: sw.aborted, timedOut: sw.timedOut, spawnError });
    };
    child.on('error', (err) => {
      spawnError = err;
      if (!child.pid) void finish(null, null);
    });
    child.on('close', (code, sig) => void finish(code, sig));
  });
}
