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

export function jobRecord(over: { rowId?: string; attempt?: number; links?: string[]; options?: Partial<DispatchOptions> } = {}): JobRecord {
  const now = new Date().toISOString();
  return {
    jobId: `j_${Math.random().toString(36).slice(2)}`,
    dispatchId: '00000000-0000-4000-8000-000000000000',
    idempotencyKey: 'k',
    spreadsheetId: 'sheet-1',
    sheetId: 0,
    sheetName: 'People',
    rowId: over.rowId ?? '151',
    rowNumber: 2,
    name: 'Ana Souza',
    email: 'ana@example.org',
    type: 'FF-Fi/Se-CP/B(S) #4',
    source: 'youtube',
    links: over.links ?? [],
    options: DispatchOptionsSchema.parse(over.options ?? {}),
    status: 'downloading',
    attempt: over.attempt ?? 1,
    maxAttempts: 3,
    error: null,
    files: [],
    mediaIds: [],
    progress: null,
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: null,
    nextRunAt: null,
  };
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
