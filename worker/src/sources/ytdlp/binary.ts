/**
 * Finding yt-dlp and asking its version (for /readyz, `doctor`, and the `tools` of metadata.json).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { ArchiveError } from '../../errors.js';

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The yt-dlp executable: `YTDLP_PATH` when set (an absolute path, or a name looked up on PATH),
 * else `yt-dlp` on PATH.
 * @param env defaults to process.env
 * @returns the absolute path, or null when not found.
 */
export function findYtDlp(env: NodeJS.ProcessEnv = process.env): string | null {
  const wanted = env['YTDLP_PATH']?.trim() || 'yt-dlp';
  if (isAbsolute(wanted) || wanted.includes('/')) return isExecutable(wanted) ? wanted : null;
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, wanted);
    if (isExecutable(p)) return p;
  }
  return null;
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
