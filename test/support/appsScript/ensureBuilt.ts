/**
 * Builds appsscript/dist when it is missing or older than its sources, so `npx vitest run
 * test/addon` tests the current code (`npm test` builds first anyway). Writes are atomic
 * (build.mjs renames into place), so test files building at the same time are harmless.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_DIST, REPO_ROOT } from './loadAddon.js';

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path)) if (e !== 'dist' && e !== 'node_modules') n = Math.max(n, newest(join(path, e)));
  return n;
}

export interface BuildAddonResult {
  outDir: string;
  entryPoints: string[];
  whitelist: string;
}

/** The repo's appsscript/build.mjs `buildAddon`. */
export type BuildAddonFn = (opts: { root: string; outDir?: string; workerUrl?: string; whitelist?: string[] }) => Promise<BuildAddonResult>;

export async function importBuildAddon(): Promise<BuildAddonFn> {
  const mod = (await import(pathToFileURL(join(REPO_ROOT, 'appsscript/build.mjs')).href)) as { buildAddon: BuildAddonFn };
  return mod.buildAddon;
}

/** Rebuilds appsscript/dist when stale; returns the dist directory. */
export async function ensureAddonBuilt(): Promise<string> {
  const code = join(DEFAULT_DIST, 'Code.js');
  const built = existsSync(code) && existsSync(join(DEFAULT_DIST, 'sidebar.html')) ? statSync(code).mtimeMs : 0;
  const sources = Math.max(newest(join(REPO_ROOT, 'appsscript')), newest(join(REPO_ROOT, 'shared')));
  if (built < sources) {
    const buildAddon = await importBuildAddon();
    await buildAddon({ root: REPO_ROOT });
  }
  return DEFAULT_DIST;
}

/**
 * Builds the add-on into a fresh temporary directory with these worker URLs in urlFetchWhitelist
 * (the first as ARCHIVER_WORKER_URL), as `ARCHIVER_WORKER_URL=… npm run push` would for a real
 * worker; returns the directory for loadAddon's distDir.
 */
export async function buildAddonFor(...workerUrls: string[]): Promise<string> {
  const buildAddon = await importBuildAddon();
  const outDir = mkdtempSync(join(tmpdir(), 'addon-dist-'));
  await buildAddon({ root: REPO_ROOT, outDir, workerUrl: workerUrls[0], whitelist: workerUrls.slice(1) });
  return outDir;
}
