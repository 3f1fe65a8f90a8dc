#!/usr/bin/env node
// Builds everything esbuild builds: the worker CLI (worker/dist/cli.js) and, when present, the
// Apps Script add-on (appsscript/build.mjs → appsscript/dist/). Runs on `npm ci` (prepare).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

// Code splitting keeps each command's dependencies (SQLite, googleapis, the AWS SDK) behind the
// dynamic import that needs them, so `--help` and the quick commands do not load them.
await rm(join(root, 'worker/dist'), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'worker/src/cli/main.ts') },
  outdir: join(root, 'worker/dist'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  define: { __ARCHIVER_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) },
  logLevel: 'warning',
});

// The operator dashboard's page (docs/dashboard.md): dashboard.js and dashboard.css (with
// uPlot's), served by the worker at /ui/assets/ from worker/dist/ui.
await build({
  entryPoints: { dashboard: join(root, 'worker/src/dashboard/page/main.ts') },
  outdir: join(root, 'worker/dist/ui'),
  bundle: true,
  platform: 'browser',
  target: 'es2020',
  format: 'esm',
  minify: true,
  logLevel: 'warning',
});

const addon = join(root, 'appsscript/build.mjs');
if (existsSync(addon)) {
  const mod = await import(pathToFileURL(addon).href);
  await mod.buildAddon({ root });
}
if (!process.env.ARCHIVER_QUIET_BUILD) console.error(`build: done in ${Date.now() - started} ms`);
