/**
 * `sheet-archiver update-tools`: installs the latest yt-dlp release into the tools folder
 * (tools/install.ts), checked against its SHA2-256SUMS, and says which JavaScript runtime yt-dlp
 * will use. Exit 0 when yt-dlp is installed or already current, 1 when the release could not be
 * reached or was refused (nothing changed), 2 for bad configuration.
 */
import { join } from 'node:path';
import { locateYtDlp } from '../../sources/ytdlp/binary.js';
import { toolsDir, ytdlpReleaseUrl } from '../../tools/dir.js';
import { InstallError, installYtDlp } from '../../tools/install.js';
import { jsRuntimeVersion, resolveJsRuntime } from '../../tools/jsRuntime.js';
import { configWith } from '../context.js';
import { printJson } from '../output.js';

export interface UpdateToolsOptions {
  /** tools folder; default ARCHIVER_TOOLS_DIR or ~/.local/share/sheet-archiver/bin */
  dir?: string;
  json?: boolean;
}

export async function updateToolsAction(o: UpdateToolsOptions): Promise<void> {
  const config = configWith({ ARCHIVER_TOOLS_DIR: o.dir });
  const env = { ...process.env, ...(o.dir ? { ARCHIVER_TOOLS_DIR: o.dir } : {}) };
  const dir = toolsDir(env);
  const releaseUrl = ytdlpReleaseUrl(env);
  const rt = resolveJsRuntime(config.env.YTDLP_JS_RUNTIME, env);
  const rtVersion = rt?.path ? await jsRuntimeVersion(rt.name, rt.path) : null;
  const runtime = rt ? { name: rt.name, found: !!rt.path && !!rtVersion, version: rtVersion, origin: rt.origin } : null;
  const runtimeLine = !rt
    ? 'JavaScript runtime: none configured (YTDLP_JS_RUNTIME=none)'
    : runtime?.found
      ? `JavaScript runtime: ${rt.name} ${rtVersion} (${rt.origin})`
      : `JavaScript runtime: ${rt.name} not found`;
  const active = locateYtDlp(env);
  const shadowed =
    active && active.origin === 'YTDLP_PATH' ? 'YTDLP_PATH is set, so the worker keeps using that yt-dlp instead of this one' : null;

  try {
    const r = await installYtDlp({ releaseUrl, dir });
    if (o.json) printJson({ ok: true, ...r, dir, runtime, ...(shadowed ? { note: shadowed } : {}) });
    else {
      process.stdout.write(
        r.status === 'installed'
          ? `update-tools: installed yt-dlp ${r.version} in ${dir} (SHA-256 checked against the release's SHA2-256SUMS)\n`
          : `update-tools: yt-dlp ${r.version} in ${dir} is the latest release; nothing to do\n`,
      );
      process.stdout.write(`update-tools: ${runtimeLine}\n`);
      if (shadowed) process.stdout.write(`update-tools: note: ${shadowed}\n`);
    }
  } catch (err) {
    if (!(err instanceof InstallError)) throw err;
    const current = active
      ? `the worker uses ${active.origin === 'tools dir' ? join(dir, 'yt-dlp') : 'the yt-dlp on ' + active.origin}`
      : 'no yt-dlp is installed';
    if (o.json) printJson({ ok: false, kind: err.kind, message: err.message, dir, runtime });
    else {
      process.stderr.write(`update-tools: ${err.kind === 'checksum' ? 'REFUSED' : 'not installed'}: ${err.message}\n`);
      process.stderr.write(`update-tools: nothing changed; ${current}. ${runtimeLine}.\n`);
    }
    process.exitCode = 1;
  }
  // a DNS look-up the time-out abandoned may still be pending in libuv: do not wait for it
  process.exit(process.exitCode ?? 0);
}
