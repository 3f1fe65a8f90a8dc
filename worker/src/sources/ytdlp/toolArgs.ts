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

/**
 * `args` with the tool arguments put before the final `--` (so the job's own options come first),
 * or at the end, and the `--extractor-args` of one extractor merged into one (mergeExtractorArgs).
 */
export function insertToolArgs(args: string[], toolArgs: string[]): string[] {
  if (!toolArgs.length) return args;
  const i = args.lastIndexOf('--');
  return mergeExtractorArgs(i < 0 ? [...args, ...toolArgs] : [...args.slice(0, i), ...toolArgs, ...args.slice(i)]);
}

/**
 * Merges repeated `--extractor-args IE_KEY:ARGS` of the same extractor into one, at the place of
 * the last. yt-dlp keeps only the last one per extractor (options.py, `_dict_from_options_callback`
 * with `multiple_keys=False`: the whole `ARGS` dict is replaced), so a `YTDLP_EXTRA_ARGS` of
 * `--extractor-args youtube:player_client=mweb` would drop the job's `youtube:max_comments=…`.
 * Within the merge a later argument (the extra arguments come after the job's) wins for the same
 * name; names compare as yt-dlp compares them (lower case, `-` as `_`). Arguments after a `--`
 * are URLs and are left alone.
 */
export function mergeExtractorArgs(args: string[]): string[] {
  const sep = args.indexOf('--');
  const end = sep < 0 ? args.length : sep;
  // where each extractor's arguments are, and their merged values
  const byKey = new Map<string, { last: number; at: number[]; values: Map<string, string> }>();
  const valueAt = (i: number): string | null => {
    if (args[i] === '--extractor-args' && i + 1 < end) return args[i + 1]!;
    if (args[i]!.startsWith('--extractor-args=')) return args[i]!.slice('--extractor-args='.length);
    return null;
  };
  for (let i = 0; i < end; i++) {
    const v = valueAt(i);
    if (v === null) continue;
    const colon = v.indexOf(':');
    if (colon <= 0) continue; // malformed: yt-dlp itself says so
    const key = v.slice(0, colon).toLowerCase();
    const entry = byKey.get(key) ?? { last: i, at: [], values: new Map<string, string>() };
    for (const part of v.slice(colon + 1).split(';')) {
      if (!part) continue;
      const name = part.split('=', 1)[0]!.trim().toLowerCase().replace(/-/g, '_');
      entry.values.delete(name); // re-insert: a later one also moves to the end
      entry.values.set(name, part);
    }
    entry.at.push(i);
    entry.last = i;
    byKey.set(key, entry);
    if (args[i] === '--extractor-args') i++;
  }
  const repeated = [...byKey].filter(([, e]) => e.at.length > 1);
  if (!repeated.length) return args;
  const drop = new Set<number>();
  const replace = new Map<number, string[]>();
  for (const [key, e] of repeated) {
    for (const i of e.at) {
      drop.add(i);
      if (args[i] === '--extractor-args') drop.add(i + 1);
    }
    replace.set(e.last, ['--extractor-args', `${key}:${[...e.values.values()].join(';')}`]);
  }
  const out: string[] = [];
  args.forEach((a, i) => {
    if (replace.has(i)) out.push(...replace.get(i)!);
    else if (!drop.has(i)) out.push(a);
  });
  return out;
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
