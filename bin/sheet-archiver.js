#!/usr/bin/env node
// The `sheet-archiver` CLI. The bundle is built by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../worker/dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('sheet-archiver: the CLI is not built yet. Run `npm run build` (npm ci does it for you).');
  process.exit(2);
}
await import(bundle);
