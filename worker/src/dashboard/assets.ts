/**
 * The page's bundle (scripts/build.mjs writes worker/dist/ui/dashboard.js and dashboard.css from
 * worker/src/dashboard/page/). Found from the package root, so it works from the sources (tests)
 * and from the bundle (worker/dist/chunks/…) alike. Read once, then served from memory.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSET_TYPES = { 'dashboard.js': 'text/javascript; charset=utf-8', 'dashboard.css': 'text/css; charset=utf-8' } as const;
export type AssetName = keyof typeof ASSET_TYPES;

/** worker/dist/ui under the nearest folder (upwards from this module) holding package.json. */
export function defaultUiDir(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'worker/dist/ui');
}

/** Loads the bundle files lazily and keeps them. @returns null for a file the build did not write. */
export function assetLoader(dir: string): (name: AssetName) => Promise<Buffer | null> {
  const cache = new Map<AssetName, Promise<Buffer | null>>();
  return (name) => {
    let p = cache.get(name);
    if (!p) {
      p = readFile(join(dir, name)).catch(() => null);
      // a missing build is not cached: `npm run build` fixes it without a restart
      void p.then((b) => b === null && cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };
}
