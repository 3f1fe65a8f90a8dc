/**
 * The JavaScript runtime yt-dlp runs YouTube's challenge solver (yt-dlp-ejs) with, passed as
 * `--js-runtimes <name>:<path>` (https://github.com/yt-dlp/yt-dlp/wiki/EJS). Deno is the default
 * and comes from the npm registry: the `deno` package's platform package
 * (`@deno/<os>-<arch>[-glibc]/deno`), resolved directly so that the `deno` package's postinstall
 * (which only copies that binary) is never needed.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { onPath } from '../sources/ytdlp/binary.js';

/** yt-dlp's runtime names, in its own order of priority. */
export const JS_RUNTIMES = ['deno', 'node', 'quickjs', 'bun'] as const;
export type JsRuntimeName = (typeof JS_RUNTIMES)[number];

/** Oldest versions yt-dlp's EJS wiki supports (bun: also the newest, 1.3.14). */
export const MIN_RUNTIME_VERSION: Record<JsRuntimeName, string> = {
  deno: '2.3.0',
  node: '22.0.0',
  quickjs: '2023-12-09',
  bun: '1.2.11',
};

/** YTDLP_JS_RUNTIME parsed: a runtime and an optional path, or `none` (pass nothing, yt-dlp decides). */
export type JsRuntimeSetting = { name: JsRuntimeName; path?: string } | { name: 'none' };

/**
 * Parses `deno`, `node`, `bun`, `quickjs` or `none`, each but `none` optionally `:<path>` (the
 * binary, or for yt-dlp also its folder).
 * @throws Error naming the accepted values
 */
export function parseJsRuntime(value: string | undefined): JsRuntimeSetting {
  const v = (value ?? '').trim();
  if (!v) return { name: 'deno' };
  const i = v.indexOf(':');
  const name = (i < 0 ? v : v.slice(0, i)).trim().toLowerCase();
  const path = i < 0 ? '' : v.slice(i + 1).trim();
  if (name === 'none' && !path) return { name: 'none' };
  if (!(JS_RUNTIMES as readonly string[]).includes(name))
    throw new Error(`"${name}" is not one of ${JS_RUNTIMES.join(', ')} or none (optionally followed by :<path>)`);
  return path ? { name: name as JsRuntimeName, path } : { name: name as JsRuntimeName };
}

/** The `@deno/…` platform package for this machine, as the `deno` package's install_api.cjs names it; null when none exists. */
export function denoPlatformPackage(): string | null {
  const a = arch();
  if (a !== 'x64' && a !== 'arm64') return null;
  const p = platform();
  if (p === 'linux') return `@deno/linux-${a}-glibc`; // Deno publishes no musl build
  if (p === 'darwin' || p === 'win32') return `@deno/${p}-${a}`;
  return null;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let denoPath: string | null | undefined;

/** The Deno binary installed from npm (`node_modules/@deno/<platform>/deno`), or null. Looked up once per process. */
export function denoFromNodeModules(): string | null {
  if (denoPath === undefined) denoPath = findDenoInNodeModules();
  return denoPath;
}

function findDenoInNodeModules(): string | null {
  const pkg = denoPlatformPackage();
  if (!pkg) return null;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    const bin = join(dir, platform() === 'win32' ? 'deno.exe' : 'deno');
    return executable(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** A runtime found: its binary and where it came from (never shown as a path in health output). */
export interface ResolvedJsRuntime {
  name: JsRuntimeName;
  /** absolute path of the binary; null when not found */
  path: string | null;
  origin: 'configured' | 'node_modules' | 'PATH' | 'this node';
}

/**
 * Finds the configured runtime: the given path; else deno from node_modules, then PATH; node:
 * `node` on PATH, else the node running the worker; quickjs: `qjs` on PATH; bun: `bun` on PATH.
 * @returns null for `none`.
 */
export function resolveJsRuntime(setting: JsRuntimeSetting, env: NodeJS.ProcessEnv = process.env): ResolvedJsRuntime | null {
  if (setting.name === 'none') return null;
  const { name } = setting;
  if (setting.path) return { name, path: onPath(setting.path, env), origin: 'configured' };
  if (name === 'deno') {
    const npm = denoFromNodeModules();
    if (npm) return { name, path: npm, origin: 'node_modules' };
  }
  const found = onPath(name === 'quickjs' ? 'qjs' : name, env);
  if (found) return { name, path: found, origin: 'PATH' };
  if (name === 'node') return { name, path: process.execPath, origin: 'this node' };
  return { name, path: null, origin: 'PATH' };
}

const versions = new Map<string, Promise<string | null>>();

/**
 * The runtime's version ("2.9.6", "22.11.0", "1.2.15", "2025-04-26"), cached per path; null when
 * it cannot be run.
 */
export function jsRuntimeVersion(name: JsRuntimeName, path: string): Promise<string | null> {
  const key = `${name}\0${path}`;
  let p = versions.get(key);
  if (!p) {
    // qjs has no --version: its -h banner reads "QuickJS version 2025-04-26"
    const args = name === 'quickjs' ? ['-h'] : ['--version'];
    p = new Promise((resolve) =>
      execFile(path, args, { timeout: 15_000 }, (err, stdout, stderr) => {
        const text = `${stdout}\n${stderr}`;
        const m = name === 'quickjs' ? /(\d{4}-\d{1,2}-\d{1,2})/.exec(text) : /v?(\d+\.\d+\.\d+)/.exec(text);
        resolve(m ? m[1]! : err ? null : text.trim().split(/\s+/)[0] || null);
      }),
    );
    versions.set(key, p);
  }
  return p;
}

/** True when `version` is at least the runtime's minimum (and, for bun, at most 1.3.14). */
export function runtimeVersionOk(name: JsRuntimeName, version: string): boolean {
  const parts = (v: string) => v.split(/[.-]/).map((n) => Number(n) || 0);
  const cmp = (a: string, b: string) => {
    const x = parts(a);
    const y = parts(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  if (cmp(version, MIN_RUNTIME_VERSION[name]) < 0) return false;
  return name !== 'bun' || cmp(version, '1.3.14') <= 0;
}
