/**
 * Checks of what the worker depends on, shared by GET /readyz and `sheet-archiver doctor`.
 * Each check says what it found and, when it fails, what to do. Details hold versions and sizes,
 * never paths to credentials or secrets.
 */
import { execFile } from 'node:child_process';
import { mkdir, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { checkYtDlpTool } from './tools.js';
import type { ObjectStore } from '../storage/types.js';

const run = promisify(execFile);

export interface CheckResult {
  name: string;
  ok: boolean;
  /** what was found: a version, a size */
  detail: string;
  /** what to do when it failed */
  hint?: string;
  /** the check passes, but something should be done (an old yt-dlp, say) */
  warning?: string;
}

/** yt-dlp (YTDLP_PATH, the tools folder, or PATH), with its version and age: see tools.ts. */
export function checkYtDlp(): Promise<CheckResult> {
  return checkYtDlpTool();
}

/** The ffmpeg version, found once per process: /readyz is polled, and spawning ffmpeg each time is waste. */
let ffmpegVersion: Promise<string> | null = null;

/** ffmpeg on PATH (yt-dlp merges and converts with it). A failed look-up is retried next time. */
export async function checkFfmpeg(): Promise<CheckResult> {
  ffmpegVersion ??= run('ffmpeg', ['-hide_banner', '-version'], { timeout: 10_000 }).then(
    ({ stdout }) => /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown',
  );
  try {
    return { name: 'ffmpeg', ok: true, detail: await ffmpegVersion };
  } catch {
    ffmpegVersion = null;
    return { name: 'ffmpeg', ok: false, detail: 'not found', hint: 'run `npm run setup` (installs ffmpeg)' };
  }
}

/** The store accepts a write. */
export async function checkStorage(store: ObjectStore): Promise<CheckResult> {
  try {
    await store.checkWritable();
    return { name: 'storage', ok: true, detail: `${store.kind} writable` };
  } catch (err) {
    return {
      name: 'storage',
      ok: false,
      detail: (err as Error).message,
      hint: 'check the archive folder or bucket settings and permissions',
    };
  }
}

/**
 * Free space where the worker downloads before storing.
 * @param minFreeBytes below this the check fails (default 1 GiB).
 */
export async function checkDisk(dir: string, minFreeBytes = 1024 ** 3): Promise<CheckResult> {
  try {
    await mkdir(dir, { recursive: true });
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const gib = (free / 1024 ** 3).toFixed(1);
    return free >= minFreeBytes
      ? { name: 'disk', ok: true, detail: `${gib} GiB free` }
      : { name: 'disk', ok: false, detail: `${gib} GiB free`, hint: 'free disk space under ARCHIVER_DATA: downloads are staged there' };
  } catch (err) {
    return { name: 'disk', ok: false, detail: (err as Error).message };
  }
}
