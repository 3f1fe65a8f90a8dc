/**
 * Runs a `reprocess` job (docs/design.md §4, §8): for each media folder it names (its links are
 * metadata.json keys), the steps of pipeline/reprocess/ derive new files from what storage holds —
 * audio, SRT, plain text — and write metadata.json and the catalogue again. It reads only storage:
 * no link of the row is opened, no source is called. A failing folder does not stop the others;
 * the job reports the first error.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobProgress, JobRecord } from '../../../shared/schemas.js';
import { kindOf } from '../catalogue/assets.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { metadataKey } from '../storage/layout.js';
import { readMetadata, writeMetadata, type MediaMetadata, type MetadataFile } from '../storage/metadata.js';
import { downloadObject } from '../storage/read.js';
import type { ObjectStore, StoredObject } from '../storage/types.js';
import { VERSION } from '../version.js';
import type { JobOutcome } from './executeJob.js';
import { DEFAULT_REPROCESS_STEPS } from './reprocess/steps.js';
import type { ReprocessContext, ReprocessStep, ReprocessTools, StepReport } from './reprocess/types.js';

export interface ReprocessDeps {
  store: ObjectStore;
  prefix: string;
  /** parent of per-job scratch folders */
  workRoot: string;
  log: Logger;
  /** default DEFAULT_REPROCESS_STEPS */
  steps?: readonly ReprocessStep[];
  tools?: ReprocessTools;
}

/** A file an earlier reprocess derived, as metadata.json's `extra.reprocess.derived` lists it. */
interface Derived {
  key: string;
  from: string;
}

/** `extra.reprocess` of metadata.json: when, by which steps, and which files are derived. */
interface ReprocessRecord {
  at: string;
  steps: { name: string; status: StepReport['status']; note?: string }[];
  derived: Derived[];
  tools: Record<string, string>;
}

function derivedOf(meta: MediaMetadata): Derived[] {
  const r = meta.extra?.['reprocess'] as { derived?: unknown } | undefined;
  return Array.isArray(r?.derived) ? (r.derived as Derived[]).filter((d) => typeof d?.key === 'string') : [];
}

/**
 * Reprocesses every media folder of `job` (job.kind `reprocess`).
 * @param onProgress fraction 0…1 across folders and steps; `message` names the step.
 * @returns the outcome: keys written (derived files and metadata.json), media ids, first error and every error.
 *   Never throws for a folder's failure; rethrows an abort.
 */
export async function executeReprocess(
  job: JobRecord,
  deps: ReprocessDeps,
  signal: AbortSignal,
  onProgress: (p: JobProgress) => void,
): Promise<JobOutcome> {
  const steps = deps.steps ?? DEFAULT_REPROCESS_STEPS;
  const files = new Set<string>();
  const mediaIds = new Set<string>();
  const errors: ArchiveError[] = [];
  const workDir = join(deps.workRoot, job.jobId);
  const log = deps.log.child({ jobId: job.jobId, rowId: job.rowId, source: job.source, kind: 'reprocess' });
  await mkdir(workDir, { recursive: true });
  try {
    for (const [i, key] of job.links.entries()) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      try {
        const r = await reprocessFolder(job, key, join(workDir, String(i)), deps, steps, signal, log, (s) =>
          onProgress({
            fraction: Math.min(1, (i + s / steps.length) / job.links.length),
            message: `reprocess: ${steps[s]?.name ?? 'done'}`,
          }),
        );
        r.written.forEach((k) => files.add(k));
        mediaIds.add(r.mediaId);
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err;
        const e = toArchiveError(err);
        log.warn({ metadataKey: key, category: e.category, err: e.message }, 'reprocess of a media folder failed');
        errors.push(e);
      }
      onProgress({ fraction: (i + 1) / job.links.length, message: 'reprocess' });
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return { files: [...files], mediaIds: [...mediaIds], error: errors[0] ?? null, errors };
}

/** One media folder through every step. @returns the keys written and the folder's media id. @throws ArchiveError */
async function reprocessFolder(
  job: JobRecord,
  key: string,
  workDir: string,
  deps: ReprocessDeps,
  steps: readonly ReprocessStep[],
  signal: AbortSignal,
  log: Logger,
  atStep: (index: number) => void,
): Promise<{ written: string[]; mediaId: string }> {
  const { store } = deps;
  const meta = await readMetadata(store, key);
  if (!meta) throw new ArchiveError('not_found', `${key} is missing or unreadable: nothing to reprocess (run catalogue rebuild or verify)`);
  if (meta.row?.rowId !== job.rowId || meta.row?.spreadsheetId !== job.spreadsheetId || meta.source !== job.source) {
    throw new ArchiveError(
      'data_corruption',
      `${key} belongs to row ${JSON.stringify(meta.row?.rowId)} (${meta.source}), not to this job's row`,
    );
  }
  // writeMetadata writes where the current key rule puts it: a folder stored under another key
  // (an older sanitising rule, another ARCHIVER_PREFIX) would get a second metadata.json.
  const expected = metadataKey(deps.prefix, meta.row.rowId, meta.source, meta.mediaId);
  if (expected !== key)
    throw new ArchiveError(
      'validation',
      `${key} was stored under another key rule or prefix (now ${expected}); archive the row again instead`,
    );
  const folder = key.slice(0, key.length - 'metadata.json'.length);
  await mkdir(join(workDir, 'in'), { recursive: true });
  await mkdir(join(workDir, 'out'), { recursive: true });

  const previous = derivedOf(meta);
  const added = new Map<string, { file: MetadataFile; from: string }>();
  const locals = new Map<string, string>();
  const reports: ReprocessRecord['steps'] = [];
  const written: string[] = [];
  const listed = () => {
    const byKey = new Map<string, MetadataFile>();
    for (const f of meta.files ?? []) if (f.key.startsWith(folder) && f.key !== key) byKey.set(f.key, f);
    for (const { file } of added.values()) byKey.set(file.key, file);
    return [...byKey.values()];
  };
  const derivedKeys = () => new Set([...previous.map((d) => d.key), ...added.keys()]);

  const ctx: ReprocessContext = {
    job,
    store,
    prefix: deps.prefix,
    meta,
    metadataKey: key,
    folder,
    workDir,
    tools: { ffmpegPath: deps.tools?.ffmpegPath ?? 'ffmpeg', ffprobePath: deps.tools?.ffprobePath ?? 'ffprobe' },
    signal,
    log,
    files: () => {
      const d = derivedKeys();
      return listed().map((file) => ({ file, kind: kindOf(meta.source, file.key), derived: d.has(file.key) }));
    },
    async local(fileKey) {
      const have = locals.get(fileKey);
      if (have) return have;
      const listedFile = listed().find((f) => f.key === fileKey);
      if (!listedFile) throw new ArchiveError('validation', `${fileKey} is not a file of ${key}`);
      const path = join(workDir, 'in', String(locals.size), fileKey.slice(fileKey.lastIndexOf('/') + 1));
      const got = await downloadObject(store, fileKey, path, signal);
      if (listedFile.sha256 && got.sha256 !== listedFile.sha256) {
        throw new ArchiveError(
          'data_corruption',
          `stored ${fileKey} does not match metadata.json (SHA-256 differs): run sheet-archiver verify --repair`,
        );
      }
      locals.set(fileKey, path);
      return path;
    },
    async addFile(name, path, f) {
      const stored = await store.putFile(folder + name, path, { rowId: meta.row.rowId, contentType: f.contentType, signal });
      const file: MetadataFile = { key: stored.key, size: stored.size, sha256: stored.sha256, kind: f.kind };
      added.set(stored.key, { file, from: f.from });
      locals.set(stored.key, path);
      written.push(stored.key);
      return file;
    },
    async writeMetadata(): Promise<StoredObject> {
      const kept = previous.filter((d) => !added.has(d.key));
      const record: ReprocessRecord = {
        at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        steps: reports,
        derived: [...kept, ...[...added.values()].map((a) => ({ key: a.file.key, from: a.from }))],
        tools: { 'sheet-archiver': VERSION },
      };
      // files outside this folder (a playlist's entries' metadata.json) stay listed as they were
      const outside = (meta.files ?? []).filter((f) => !f.key.startsWith(folder));
      const next: MediaMetadata = { ...meta, files: [...listed(), ...outside], extra: { ...(meta.extra ?? {}), reprocess: record } };
      return writeMetadata(store, deps.prefix, next);
    },
  };

  for (const [s, step] of steps.entries()) {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    atStep(s);
    const r = await step.run(ctx);
    reports.push({ name: step.name, status: r.status, ...(r.note ? { note: r.note } : {}) });
    if (step.name === 'metadata') written.push(...r.files);
    log.info({ metadataKey: key, step: step.name, status: r.status, files: r.files.length, note: r.note }, 'reprocess step');
  }
  return { written: [...new Set(written)], mediaId: meta.mediaId };
}
