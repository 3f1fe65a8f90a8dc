/** The package version, injected at build time by esbuild, read from package.json in dev. */
import { readFileSync } from 'node:fs';

declare const __ARCHIVER_VERSION__: string | undefined;

function readVersion(): string {
  if (typeof __ARCHIVER_VERSION__ === 'string') return __ARCHIVER_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export const VERSION = readVersion();
