/**
 * Tool health (issue 7): which yt-dlp runs and how old its release is, the JavaScript runtime
 * it will be given, the cookies file (set or not, and its age: never its path or contents) and
 * the plugin packages in YTDLP_PLUGIN_DIRS. Shared by `doctor` and GET /readyz. A warning keeps
 * the check passing (the worker still archives allowed hosts) but says what YouTube needs.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../config/env.js';
import { locateYtDlp, ytdlpVersion } from '../sources/ytdlp/binary.js';
import { FEATURE_SINCE, releaseAgeDays, ytdlpFeatures } from '../sources/ytdlp/features.js';
import { jsRuntimeVersion, MIN_RUNTIME_VERSION, resolveJsRuntime, runtimeVersionOk } from '../tools/jsRuntime.js';
import type { CheckResult } from './checks.js';

/** A release older than this many days is flagged: YouTube breaks old releases every few weeks. */
export const MAX_YTDLP_AGE_DAYS = 60;

type ToolEnv = Pick<Env, 'YTDLP_JS_RUNTIME' | 'YTDLP_COOKIES' | 'YTDLP_PLUGIN_DIRS'>;

const UPDATE = 'run `sheet-archiver update-tools` (or set YTDLP_PATH to a current yt-dlp)';

/** yt-dlp: found where (YTDLP_PATH, tools dir, PATH), its version and age in days; warns past 60 days. */
export async function checkYtDlpTool(env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<CheckResult> {
  const found = locateYtDlp(env);
  if (!found)
    return {
      name: 'yt-dlp',
      ok: false,
      detail: 'not found',
      hint: 'run `npm run setup` or `sheet-archiver update-tools`, or set YTDLP_PATH',
    };
  let version: string;
  try {
    version = await ytdlpVersion(found.path);
  } catch (err) {
    return { name: 'yt-dlp', ok: false, detail: `found (${found.origin}) but does not run`, hint: `reinstall it: ${UPDATE}` };
  }
  const age = releaseAgeDays(version, now);
  const detail = `${version}${age === null ? '' : `, ${age} days old`} (${found.origin})`;
  if (age !== null && age > MAX_YTDLP_AGE_DAYS) {
    return {
      name: 'yt-dlp',
      ok: true,
      detail,
      warning: `older than ${MAX_YTDLP_AGE_DAYS} days: YouTube links are likely to fail; ${UPDATE}`,
    };
  }
  return { name: 'yt-dlp', ok: true, detail };
}

/** The JavaScript runtime yt-dlp gets (`--js-runtimes`): which, its version, and whether this yt-dlp can use it. */
export async function checkJsRuntime(e: ToolEnv, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const name = 'js runtime';
  const rt = resolveJsRuntime(e.YTDLP_JS_RUNTIME, env);
  if (!rt) return { name, ok: true, detail: 'none passed (YTDLP_JS_RUNTIME=none): yt-dlp looks for deno itself' };
  const version = rt.path ? await jsRuntimeVersion(rt.name, rt.path) : null;
  if (!rt.path || !version) {
    return {
      name,
      ok: true,
      detail: `${rt.name} not found`,
      warning: `YouTube needs a JavaScript runtime: ${rt.name === 'deno' ? 'run `npm ci` (it installs Deno)' : `install ${rt.name} or set YTDLP_JS_RUNTIME`}`,
    };
  }
  const detail = `${rt.name} ${version} (${rt.origin})`;
  if (!runtimeVersionOk(rt.name, version)) {
    return {
      name,
      ok: true,
      detail,
      warning: `yt-dlp supports ${rt.name} ${MIN_RUNTIME_VERSION[rt.name]} or later${rt.name === 'bun' ? ' up to 1.3.14' : ''}`,
    };
  }
  const yt = locateYtDlp(env);
  if (yt && !(await ytdlpFeatures(yt.path)).jsRuntimes) {
    const v = await ytdlpVersion(yt.path).catch(() => 'this version');
    return {
      name,
      ok: true,
      detail,
      warning: `not used: yt-dlp ${v} predates ${FEATURE_SINCE.jsRuntimes.option} (${FEATURE_SINCE.jsRuntimes.since}); ${UPDATE}`,
    };
  }
  return { name, ok: true, detail };
}

/** Counts the cookies of a Netscape cookies file whose domain is YouTube's or Google's; null when it is not one. */
function countCookies(text: string): { youtube: number; all: number } | null {
  const lines = text.split(/\r?\n/);
  if (!/^# (Netscape )?HTTP Cookie File/i.test(lines[0] ?? '')) return null;
  let youtube = 0;
  let all = 0;
  for (const l of lines) {
    const f = l.replace(/^#HttpOnly_/, '').split('\t');
    if (l.startsWith('#') && !l.startsWith('#HttpOnly_')) continue;
    if (f.length < 7) continue;
    all++;
    if (/(^|\.)(youtube|google)\.com$/i.test(f[0]!)) youtube++;
  }
  return { youtube, all };
}

/** The cookies file: set or not, its age in days and how many YouTube cookies it holds. Never its path or contents. */
export async function checkCookies(e: ToolEnv, now = new Date()): Promise<CheckResult> {
  const name = 'cookies';
  if (!e.YTDLP_COOKIES) return { name, ok: true, detail: 'not set (YTDLP_COOKIES)' };
  let age: number;
  let counts: ReturnType<typeof countCookies>;
  try {
    const s = await stat(e.YTDLP_COOKIES);
    age = Math.max(0, Math.floor((now.getTime() - s.mtimeMs) / 86_400_000));
    counts = countCookies(await readFile(e.YTDLP_COOKIES, 'utf8'));
  } catch (err) {
    return {
      name,
      ok: false,
      detail: `set, but the file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      hint: 'check YTDLP_COOKIES and the file permissions (see docs/youtube.md#cookies)',
    };
  }
  const detail = `set, ${age} days old`;
  if (!counts)
    return {
      name,
      ok: false,
      detail: `${detail}, not a Netscape cookies file`,
      hint: 'export the cookies in Netscape format (see docs/youtube.md#cookies)',
    };
  const full = `${detail}, ${counts.youtube} YouTube/Google cookies`;
  return counts.youtube === 0
    ? { name, ok: true, detail: full, warning: 'no youtube.com cookies: export them while signed in to YouTube' }
    : { name, ok: true, detail: full };
}

/** ms since the cookies file was last written (for the cookies_age alert); null when unset or unreadable. Never reports the path. */
export async function cookiesAgeMs(e: Pick<Env, 'YTDLP_COOKIES'>, now = Date.now()): Promise<number | null> {
  if (!e.YTDLP_COOKIES) return null;
  return stat(e.YTDLP_COOKIES).then(
    (s) => Math.max(0, now - s.mtimeMs),
    () => null,
  );
}

/** The located yt-dlp's version and release age in days; null fields when not found, not runnable or not a release. */
export async function ytdlpAge(
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): Promise<{ version: string | null; ageDays: number | null }> {
  const found = locateYtDlp(env);
  if (!found) return { version: null, ageDays: null };
  const version = await ytdlpVersion(found.path).catch(() => null);
  return { version, ageDays: version ? releaseAgeDays(version, now) : null };
}

/** Plugin packages in YTDLP_PLUGIN_DIRS (folders holding `yt_dlp_plugins/`, or .zip files), by name. */
export async function checkPlugins(e: ToolEnv, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  const name = 'plugins';
  if (!e.YTDLP_PLUGIN_DIRS.length) return { name, ok: true, detail: 'none (YTDLP_PLUGIN_DIRS not set)' };
  const found: string[] = [];
  let missing = 0;
  for (const dir of e.YTDLP_PLUGIN_DIRS) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      missing++;
      continue;
    }
    if (names.includes('yt_dlp_plugins')) found.push(dir.split(/[\\/]/).pop() ?? dir);
    for (const n of names) {
      if (/\.(zip|whl)$/i.test(n)) found.push(n);
      else if (
        await stat(join(dir, n, 'yt_dlp_plugins')).then(
          (s) => s.isDirectory(),
          () => false,
        )
      )
        found.push(n);
    }
  }
  const detail = found.length ? found.join(', ') : 'no plugin packages found';
  const yt = locateYtDlp(env);
  if (yt && !(await ytdlpFeatures(yt.path)).pluginDirs) {
    return {
      name,
      ok: true,
      detail,
      warning: `not loaded: this yt-dlp predates ${FEATURE_SINCE.pluginDirs.option} (${FEATURE_SINCE.pluginDirs.since}); ${UPDATE}`,
    };
  }
  if (missing)
    return {
      name,
      ok: false,
      detail: `${detail}; ${missing} of the YTDLP_PLUGIN_DIRS folders do not exist`,
      hint: 'fix YTDLP_PLUGIN_DIRS',
    };
  return found.length
    ? { name, ok: true, detail }
    : { name, ok: true, detail, warning: 'a plugin folder holds a package folder with yt_dlp_plugins/ inside, or a .zip' };
}

/** Every tool check, in display order. */
export async function toolChecks(e: ToolEnv, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  return Promise.all([checkYtDlpTool(env), checkJsRuntime(e, env), checkCookies(e), checkPlugins(e, env)]);
}
