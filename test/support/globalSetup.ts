/**
 * vitest global setup: builds the worker bundle and the add-on once before any test, so tests
 * that spawn `sheet-archiver` or load appsscript/dist/Code.js never see a stale build.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ARCHIVER_QUIET_BUILD: '1' },
  });
}
