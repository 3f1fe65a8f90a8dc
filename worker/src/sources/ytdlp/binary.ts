/**
 * Finding yt-dlp and asking its version (for /readyz, `doctor`, and the `tools` of metadata.json).
 * The one place that decides which yt-dlp runs: YTDLP_PATH, then the project's tools folder
 * (where `npm run setup` / `update-tools` install the release), then PATH.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { ArchiveError } from '../../errors.js';
import { toolsDir } from '../../tools/dir.js';

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A name looked up on PATH (or a path with a slash, taken as it is); null when not executable. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (isAbsolute(name) || name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}

/** Where the yt-dlp that runs was found: `YTDLP_PATH`, the tools folder, or PATH. */
export type YtDlpOrigin = 'YTDLP_PATH' | 'tools dir' | 'PATH';

/**
 * Which yt-dlp runs, and why: `YTDLP_PATH` when set (an absolute path, or a name looked up on
 * PATH; when set but missing, nothing else is tried), else `<ARCHIVER_TOOLS_DIR>/yt-dlp` when
 * executable, else `yt-dlp` on PATH.
 * @param env defaults to process.env
 * @returns null when not found.
 */
export function locateYtDlp(env: NodeJS.ProcessEnv = process.env): { path: string; origin: YtDlpOrigin } | null {
  const set = env['YTDLP_PATH']?.trim();
  if (set) {
    const p = onPath(set, env);
    return p ? { path: p, origin: 'YTDLP_PATH' } : null;
  }
  const installed = join(toolsDir(env), 'yt-dlp');
  if (isExecutable(installed)) return { path: installed, origin: 'tools dir' };
  const p = onPath('yt-dlp', env);
  return p ? { path: p, origin: 'PATH' } : null;
}

/**
 * The yt-dlp executable (see locateYtDlp for the order).
 * @param env defaults to process.env
 * @returns the absolute path, or null when not found.
 */
export function findYtDlp(env: NodeJS.ProcessEnv = process.env): string | null {
  return locateYtDlp(env)?.path ?? null;
}

const versions = new Map<string, Promise<string>>();

/**
 * `yt-dlp --version` (e.g. "2023.03.04"), cached per path for the life of the process.
 * @throws ArchiveError('system') when the binary cannot be run (a failed lookup is not cached).
 */
export function ytdlpVersion(path: string): Promise<string> {
  let p = versions.get(path);
  if (!p) {
    p = new Promise<string>((resolve, reject) => {
      execFile(path, ['--version'], { timeout: 15_000 }, (err, stdout) => {
        if (err) reject(new ArchiveError('system', `cannot run yt-dlp at ${path}: ${err.message}`, { cause: err }));
        else resolve(stdout.trim().split(/\s+/)[0] ?? 'unknown');
      });
    });
    versions.set(path, p);
    p.catch(() => versions.delete(path));
  }
  return p;
}
