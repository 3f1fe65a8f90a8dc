/**
 * A small pool of long-lived yt-dlp helper processes (issue 7 item 10): each is a Python process
 * that imported yt_dlp once and runs one job at a time through yt-dlp's own command-line entry
 * point (helperScript.ts), so a link no longer pays yt-dlp's start-up (~0.3 CPU-s of imports and
 * extractor set-up; docs/decisions.md has the measurements).
 *
 * A helper runs in its own process group (`detached`), like a spawned yt-dlp: cancel and timeout
 * kill that group — the helper, the downloads it runs and the ffmpeg it started — and the pool
 * replaces the helper on the next job. Output reaches the caller line by line exactly as from a
 * spawned yt-dlp, so runs through the pool and through `runYtDlp` are interchangeable.
 *
 * Only a yt-dlp that is a Python program (Debian's script, the official zipapp) can be hosted; for
 * anything else (a PyInstaller build, a test stand-in) `run` returns null and the caller spawns.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../log.js';
import { HELPER_PY } from './helperScript.js';
import { groupAlive, killProcessGroup, RunKillSwitch, type RunOptions, type RunResult } from './process.js';

const DONE = /^\[sa:done\] (-?\d+)$/;
const READY = '[sa:ready] ';

export interface HelperPoolOptions {
  /** helpers kept alive (idle) per yt-dlp binary; one per concurrent job is enough */
  size: number;
  /** jobs one helper runs before it is replaced (bounds memory growth); default 50 */
  maxJobsPerHelper?: number;
  /** ms to wait for a helper's ready line; default 30000 */
  startTimeoutMs?: number;
  log?: Logger;
}

/**
 * The Python interpreter (from the `#!` line) of a yt-dlp a helper can host: the official zipapp
 * (`#!` line, then a zip archive) or a launcher script that only calls `yt_dlp.main` (Debian's
 * /usr/bin/yt-dlp). Null for anything else — a PyInstaller build, or a wrapper script (a test
 * stand-in, say) whose own logic must run — which is then spawned.
 */
export function pythonOf(binary: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(binary, 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    const text = head.toString('latin1');
    const first = text.split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (!m) return null;
    const prog = basename(m[1]!) === 'env' ? m[2] : m[1];
    if (!prog || !/^python(\d+(\.\d+)?)?$/.test(basename(prog))) return null;
    const zipapp = head.indexOf(Buffer.from('PK\x03\x04', 'latin1'), first.length) > 0;
    const launcher = n < buf.length && /\bfrom yt_dlp import main\b/.test(text) && !/\b(subprocess|os\.exec|sys\.argv\s*=\s*\[)/.test(text);
    return zipapp || launcher ? prog : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The environment yt-dlp runs in: no proxy variables (the guard proxy is passed explicitly), no colours. */
export function ytdlpEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', NO_COLOR: '1' };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'])
    delete env[k];
  return env;
}

interface Job {
  onOut: (line: string) => void;
  onErr: (line: string) => void;
  outDone: boolean;
  errDone: boolean;
  code: number | null;
  finish: () => void;
}

class Helper {
  readonly child: ChildProcessWithoutNullStreams;
  jobs = 0;
  dead = false;
  job: Job | null = null;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<void>;

  constructor(python: string, binary: string, startTimeoutMs: number, log?: Logger) {
    this.child = spawn(python, ['-c', HELPER_PY, binary], {
      detached: true,
      env: ytdlpEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    }) as ChildProcessWithoutNullStreams;
    this.exited = new Promise((r) => this.child.once('close', () => r()));
    this.child.stdin.on('error', () => {}); // EPIPE when it died: 'close' below ends the job
    let onReady: (ok: boolean) => void = () => {};
    this.ready = new Promise<boolean>((r) => (onReady = r));
    const t = setTimeout(() => onReady(false), startTimeoutMs);
    this.child.on('error', (err) => {
      log?.warn({ err: err.message }, 'yt-dlp helper could not start');
      onReady(false);
    });
    this.child.once('close', () => {
      clearTimeout(t);
      this.dead = true;
      onReady(false);
      const j = this.job;
      if (j) {
        j.outDone = j.errDone = true;
        j.finish();
      }
    });
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (l) => {
      if (l.startsWith(READY) && !this.jobs) {
        clearTimeout(t);
        let ok = false;
        try {
          ok = (JSON.parse(l.slice(READY.length)) as { ok?: boolean }).ok === true;
        } catch {
          /* unreadable: not ready */
        }
        if (!ok) log?.warn({ line: l.slice(0, 300) }, 'yt-dlp helper cannot import yt_dlp: spawning yt-dlp per link instead');
        onReady(ok);
        return;
      }
      const j = this.job;
      if (!j) return;
      const m = DONE.exec(l);
      if (m) {
        j.code = Number(m[1]);
        j.outDone = true;
        j.finish();
      } else j.onOut(l);
    });
    createInterface({ input: this.child.stderr, crlfDelay: Infinity }).on('line', (l) => {
      const j = this.job;
      if (!j) return;
      if (DONE.test(l)) {
        j.errDone = true;
        j.finish();
      } else j.onErr(l);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }
}

/**
 * Long-lived yt-dlp helpers, reused across links. Create one per worker process; `close()` at exit.
 */
export class YtDlpHelperPool {
  private readonly idle = new Map<string, Helper[]>();
  private readonly busy = new Set<Helper>();
  private readonly unsupported = new Set<string>();
  private closed = false;

  constructor(private readonly o: HelperPoolOptions) {}

  /**
   * Runs one yt-dlp argv in a helper, like `runYtDlp` (same options, same result).
   * @returns null when this binary cannot be hosted (not a Python yt-dlp, or yt_dlp does not
   *   import): the caller then spawns it.
   */
  async run(o: RunOptions, keepStdout = false): Promise<RunResult | null> {
    if (this.closed || this.unsupported.has(o.binary)) return null;
    const h = await this.acquire(o.binary);
    if (!h) return null;
    try {
      return await this.runOn(h, o, keepStdout);
    } finally {
      this.release(o.binary, h);
    }
  }

  private async acquire(binary: string): Promise<Helper | null> {
    const list = this.idle.get(binary) ?? [];
    while (list.length) {
      const h = list.pop()!;
      if (!h.dead) {
        this.busy.add(h);
        return h;
      }
    }
    const python = pythonOf(binary);
    if (!python) {
      this.unsupported.add(binary);
      return null;
    }
    const h = new Helper(python, binary, this.o.startTimeoutMs ?? 30_000, this.o.log);
    this.busy.add(h);
    if (!(await h.ready)) {
      this.busy.delete(h);
      this.unsupported.add(binary);
      if (h.pid && groupAlive(h.pid)) await killProcessGroup(h.pid, 500);
      return null;
    }
    return h;
  }

  private release(binary: string, h: Helper): void {
    this.busy.delete(h);
    const list = this.idle.get(binary) ?? [];
    if (h.dead) return;
    if (this.closed || h.jobs >= (this.o.maxJobsPerHelper ?? 50) || list.length >= this.o.size) {
      h.child.stdin.end(); // it exits at the end of its input
      return;
    }
    list.push(h);
    this.idle.set(binary, list);
  }

  private runOn(h: Helper, o: RunOptions, keepStdout: boolean): Promise<RunResult> {
    return new Promise<RunResult>((resolveRun) => {
      let stdout = '';
      let stderr = '';
      let settled = false;
      let sw: RunKillSwitch | null = null; // armed once the job is the helper's (below)
      const job: Job = {
        onOut: (l) => {
          if (keepStdout) stdout += l + '\n';
          o.onStdoutLine?.(l);
        },
        onErr: (l) => {
          stderr += l + '\n';
          o.onStderrLine?.(l);
        },
        outDone: false,
        errDone: false,
        code: null,
        finish: () => {
          if (settled || !job.outDone || !job.errDone) return;
          settled = true;
          h.job = null;
          sw?.dispose();
          const done = sw?.killing ?? Promise.resolve();
          void done.then(() =>
            resolveRun({
              code: h.dead ? null : job.code,
              signal: h.dead ? (h.child.signalCode ?? 'SIGKILL') : null,
              stdout,
              stderr,
              aborted: sw?.aborted ?? false,
              timedOut: sw?.timedOut ?? false,
            }),
          );
        },
      };
      h.job = job;
      h.jobs++;
      sw = new RunKillSwitch(() => h.pid, o);
      o.onSpawn?.(h.pid);
      h.child.stdin.write(JSON.stringify({ args: o.args, cwd: o.cwd }) + '\n');
    });
  }

  /** Ends every helper: idle ones at the end of their input, busy ones killed. Resolves when all exited. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...[...this.idle.values()].flat(), ...this.busy];
    this.idle.clear();
    await Promise.all(
      all.map(async (h) => {
        if (this.busy.has(h)) await killProcessGroup(h.pid, 1000);
        else h.child.stdin.end();
        const t = setTimeout(() => void killProcessGroup(h.pid, 500), 3000);
        await h.exited;
        clearTimeout(t);
      }),
    );
  }
}
