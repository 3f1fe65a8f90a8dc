/**
 * Runs one job's links through its source, one link after another, and gathers what was
 * archived. A failing link does not stop the others: every link's error is kept, and
 * jobs/retry.ts decideRetry picks the one that decides (a retryable one wins).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobProgress, JobRecord } from '../../../shared/schemas.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from '../sources/types.js';
import type { ObjectStore } from '../storage/types.js';

export interface JobOutcome {
  /** every object key written, in order, without duplicates */
  files: string[];
  mediaIds: string[];
  /** the first error, or null when every link archived */
  error: ArchiveError | null;
  /** every link's error, in link order (empty when every link archived); decideRetry reads them all */
  errors: ArchiveError[];
}

export interface ExecuteDeps {
  source: Source | undefined;
  store: ObjectStore;
  prefix: string;
  /** parent of per-job scratch folders */
  workRoot: string;
  log: Logger;
}

/**
 * Archives every link of `job`.
 * @param onProgress overall progress across links, fraction 0…1.
 * @returns the outcome; never throws for a link's failure (it is in `error`), but rethrows an abort.
 */
export async function executeJob(
  job: JobRecord,
  deps: ExecuteDeps,
  signal: AbortSignal,
  onProgress: (p: JobProgress) => void,
): Promise<JobOutcome> {
  const files = new Set<string>();
  const mediaIds = new Set<string>();
  const errors: ArchiveError[] = [];
  if (!deps.source) {
    const error = new ArchiveError('validation', `the ${job.source} source is not configured on this worker`);
    return { files: [], mediaIds: [], error, errors: [error] };
  }
  const workDir = join(deps.workRoot, job.jobId);
  await mkdir(workDir, { recursive: true });
  const log = deps.log.child({ jobId: job.jobId, rowId: job.rowId, source: job.source, attempt: job.attempt });
  try {
    for (const [i, link] of job.links.entries()) {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      const linkDir = join(workDir, String(i));
      await mkdir(linkDir, { recursive: true });
      try {
        const r = await deps.source.archive(link, {
          job,
          store: deps.store,
          prefix: deps.prefix,
          workDir: linkDir,
          signal,
          log,
          onProgress: (p) => onProgress({ ...p, fraction: Math.min(1, (i + Math.min(1, Math.max(0, p.fraction))) / job.links.length) }),
        });
        r.files.forEach((f) => files.add(f.key));
        r.mediaIds.forEach((m) => mediaIds.add(m));
        if (r.error) errors.push(r.error);
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err;
        const e = toArchiveError(err);
        log.warn({ link: redactLink(link), category: e.category, err: e.message }, 'link failed');
        errors.push(e);
      }
      onProgress({ fraction: (i + 1) / job.links.length });
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return { files: [...files], mediaIds: [...mediaIds], error: errors[0] ?? null, errors };
}

/** Links may carry tokens in their query (resource keys, signed URLs): log host and path only. */
export function redactLink(link: string): string {
  return link.replace(/[?#].*$/, '');
}
