/**
 * Helpers for the yt-dlp source tests: a job record, a source context over a LocalStore in a
 * temp folder, and a look at the process table.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DispatchOptionsSchema, type DispatchOptions, type JobProgress, type JobRecord } from '../../shared/schemas.js';
import { silentLogger } from '../../worker/src/log.js';
import type { SourceContext } from '../../worker/src/sources/types.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { testJob } from '../support/jobs.js';

/** A youtube job record (see test/support/jobs.ts). */
export function jobRecord(
  over: { rowId?: string; attempt?: number; links?: string[]; options?: Partial<DispatchOptions> } = {},
): JobRecord {
  return testJob({
    jobId: `j_${Math.random().toString(36).slice(2)}`,
    spreadsheetId: 'sheet-1',
    rowNumber: 2,
    source: 'youtube',
    rowId: over.rowId ?? '151',
    attempt: over.attempt ?? 1,
    links: over.links ?? [],
    options: DispatchOptionsSchema.parse(over.options ?? {}),
  });
}

export interface TestCtx {
  ctx: SourceContext;
  store: LocalStore;
  root: string;
  workDir: string;
  progress: JobProgress[];
  abort: AbortController;
}

/** A context over a fresh LocalStore; `shared` reuses a store root (retry tests). */
export function makeCtx(over: Parameters<typeof jobRecord>[0] = {}, sharedRoot?: string): TestCtx {
  const base = mkdtempSync(join(tmpdir(), 'sa-ytdlp-test-'));
  const root = sharedRoot ?? join(base, 'archive');
  const workDir = join(base, 'work');
  mkdirSync(workDir, { recursive: true });
  const store = new LocalStore(root);
  const progress: JobProgress[] = [];
  const abort = new AbortController();
  const ctx: SourceContext = {
    job: jobRecord(over),
    store,
    prefix: '',
    workDir,
    signal: abort.signal,
    log: silentLogger,
    onProgress: (p) => progress.push(p),
  };
  return { ctx, store, root, workDir, progress, abort };
}

/** Every file below `dir`, recursively (relative paths). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, join(rel, n));
      else out.push(join(rel, n));
    }
  };
  walk(dir, '');
  return out;
}

/** Processes whose command line mentions `needle` (yt-dlp, ffmpeg), from `ps -eo pid,pgid,stat,args`. */
export function processesMatching(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,pgid,stat,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}
