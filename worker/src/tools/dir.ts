/**
 * The folder the project installs its own tools into (yt-dlp's release zipapp), shared by the
 * installer (`npm run setup`, `sheet-archiver update-tools`) and the yt-dlp lookup (binary.ts).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where yt-dlp's releases are downloaded from: `<base>/yt-dlp` and `<base>/SHA2-256SUMS`. */
export const DEFAULT_YTDLP_RELEASE_URL = 'https://github.com/yt-dlp/yt-dlp/releases/latest/download';

/**
 * `ARCHIVER_TOOLS_DIR`, else `$XDG_DATA_HOME/sheet-archiver/bin`, else
 * `~/.local/share/sheet-archiver/bin` (the XDG Base Directory default). Absolute.
 */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env['ARCHIVER_TOOLS_DIR']?.trim();
  if (set) return resolve(set);
  const data = env['XDG_DATA_HOME']?.trim() || join(env['HOME']?.trim() || homedir(), '.local', 'share');
  return join(resolve(data), 'sheet-archiver', 'bin');
}

/** `ARCHIVER_YTDLP_RELEASE_URL` without a trailing slash, else the latest GitHub release. */
export function ytdlpReleaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env['ARCHIVER_YTDLP_RELEASE_URL']?.trim() || DEFAULT_YTDLP_RELEASE_URL).replace(/\/+$/, '');
}
