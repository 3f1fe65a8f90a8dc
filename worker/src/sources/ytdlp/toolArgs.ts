/**
 * The yt-dlp arguments that come from the tool settings rather than from the job: the JavaScript
 * runtime (`--js-runtimes`), the cookies file (`--cookies`, a per-job copy), PO-token and other
 * plugins (`--plugin-dirs`) and YTDLP_EXTRA_ARGS. Each new option is passed only to a yt-dlp
 * that has it (features.ts): an older release exits on an option it does not know.
 */
import { chmod, copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Env } from '../../config/env.js';
import { ArchiveError } from '../../errors.js';
import { parseJsRuntime, resolveJsRuntime, type JsRuntimeSetting } from '../../tools/jsRuntime.js';
import { ytdlpFeatures } from './features.js';

/** The tool settings (YTDLP_JS_RUNTIME, YTDLP_COOKIES, YTDLP_PLUGIN_DIRS, YTDLP_EXTRA_ARGS), validated. */
export interface YtDlpToolConfig {
  jsRuntime: JsRuntimeSetting;
  /** Netscape cookies file; never logged, never shown */
  cookiesFile?: string;
  /** absolute folders */
  pluginDirs: string[];
  /** already checked by parseExtraArgs */
  extraArgs: string[];
}

/** Deno from node_modules, no cookies, no plugins, no extra arguments. */
export const DEFAULT_TOOL_CONFIG: YtDlpToolConfig = { jsRuntime: parseJsRuntime(undefined), pluginDirs: [], extraArgs: [] };

/** Name of the per-job cookies copy inside the job's scratch folder. */
export const COOKIES_COPY = 'cookies.txt';

/**
 * The arguments for one link's yt-dlp runs. Copies the cookies file into `scratchDir` first,
 * because yt-dlp writes its cookie jar back into the file it was given when it exits.
 * @param binary the yt-dlp that will run (its features decide what is passed)
 * @param scratchDir the link's own scratch folder, deleted after the link
 * @throws ArchiveError('system') when the cookies file cannot be copied (the message names no path)
 */
export async function prepareToolArgs(binary: string, cfg: YtDlpToolConfig, scratchDir: string): Promise<string[]> {
  const features = await ytdlpFeatures(binary);
  const args: string[] = [];
  if (features.jsRuntimes) {
    const rt = resolveJsRuntime(cfg.jsRuntime);
    // --no-js-runtimes first: otherwise yt-dlp prefers deno whenever it finds one
    if (rt) args.push('--no-js-runtimes', '--js-runtimes', rt.path ? `${rt.name}:${rt.path}` : rt.name);
  }
  if (cfg.cookiesFile) {
    const copy = join(scratchDir, COOKIES_COPY);
    try {
      await copyFile(cfg.cookiesFile, copy);
      await chmod(copy, 0o600);
    } catch (err) {
      throw new ArchiveError(
        'system',
        `YTDLP_COOKIES cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the file and its permissions`,
      );
    }
    args.push('--cookies', copy);
  }
  if (features.pluginDirs) for (const d of cfg.pluginDirs) args.push('--plugin-dirs', resolve(d));
  args.push(...cfg.extraArgs);
  return args;
}

/** `args` with the tool arguments put before the final `--` (so the job's own options come first), or at the end. */
export function insertToolArgs(args: string[], toolArgs: string[]): string[] {
  if (!toolArgs.length) return args;
  const i = args.lastIndexOf('--');
  return i < 0 ? [...args, ...toolArgs] : [...args.slice(0, i), ...toolArgs, ...args.slice(i)];
}

/** `args` for a log line: the cookies file's path replaced by `[redacted]`. */
export function redactArgs(args: string[]): string[] {
  return args.map((a, i) => (i > 0 && args[i - 1] === '--cookies' ? '[redacted]' : a));
}

/** The tool settings of a validated configuration. */
export function toolConfigFromEnv(
  e: Pick<Env, 'YTDLP_JS_RUNTIME' | 'YTDLP_COOKIES' | 'YTDLP_PLUGIN_DIRS' | 'YTDLP_EXTRA_ARGS'>,
): YtDlpToolConfig {
  return {
    jsRuntime: e.YTDLP_JS_RUNTIME,
    ...(e.YTDLP_COOKIES ? { cookiesFile: resolve(e.YTDLP_COOKIES) } : {}),
    pluginDirs: e.YTDLP_PLUGIN_DIRS,
    extraArgs: e.YTDLP_EXTRA_ARGS,
  };
}
