#!/usr/bin/env node
// Builds everything esbuild builds: the worker CLI (worker/dist/cli.js) and, when present, the
// Apps Script add-on (appsscript/build.mjs → appsscript/dist/). Runs on `npm ci` (prepare).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

await build({
  entryPoints: [join(root, 'worker/src/cli/main.ts')],
  outfile: join(root, 'worker/dist/cli.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  define: { __ARCHIVER_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
  logLevel: 'warning',
});

const addon = join(root, 'appsscript/build.mjs');
if (existsSync(addon)) {
  const mod = await import(pathToFileURL(addon).href);
  await mod.buildAddon({ root });
}
if (!process.env.ARCHIVER_QUIET_BUILD) console.error(`build: done in ${Date.now() - started} ms`);
