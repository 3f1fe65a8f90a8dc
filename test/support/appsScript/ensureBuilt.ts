/**
 * Builds appsscript/dist when it is missing or older than its sources, so `npx vitest run
 * test/addon` tests the current code (`npm test` builds first anyway). Writes are atomic
 * (build.mjs renames into place), so test files building at the same time are harmless.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
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
export async function importBuildAddon(): Promise<(opts: { root: string; outDir?: string; workerUrl?: string }) => Promise<BuildAddonResult>> {
  const mod = (await import(pathToFileURL(join(REPO_ROOT, 'appsscript/build.mjs')).href)) as {
    buildAddon: (opts: { root: string; outDir?: string; workerUrl?: string }) => Promise<BuildAddonResult>;
  };
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
