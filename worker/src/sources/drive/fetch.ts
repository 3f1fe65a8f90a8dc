/**
 * Fetching the planned entries of a link, `concurrency` at a time: native files are exported
 * (export.ts), binary files streamed from alt=media (download.ts), kept copies passed through.
 * A file that fails is recorded and the others go on; an abort stops everything.
 */
import type { Logger } from '../../log.js';
import { toArchiveError } from '../../errors.js';
import type { MetadataFile } from '../../storage/metadata.js';
import type { SourceContext } from '../types.js';
import { downloadMedia } from './download.js';
import { isAbortError } from './errors.js';
import { exportNative } from './export.js';
import type { Failure } from './failures.js';
import type { PlannedEntry } from './plan.js';
import type { Progress } from './progress.js';
import type { DriveSettings } from './settings.js';

/** What fetching a plan gave. */
export interface Fetched {
  /** the stored copies of each archived entry (fetched or kept), by plan index */
  results: Map<number, MetadataFile[]>;
  /** the entries that failed, in plan order */
  failures: Failure[];
  /** how each export was fetched (`export` or `exportLinks`), by object key */
  via: Map<string, string>;
}

/** Runs `fn` over items, at most `n` at once; stops taking new items after a thrown error. */
async function runPool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        stopped = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/**
 * Fetches every planned entry that is not kept, counting each one done in `progress`.
 * @throws the abort reason when `ctx.signal` aborts; other errors become failures.
 */
export async function fetchPlanned(
  r: DriveSettings,
  planned: readonly PlannedEntry[],
  rowId: string,
  progress: Progress,
  ctx: SourceContext,
  log: Logger,
): Promise<Fetched> {
  const results = new Map<number, MetadataFile[]>();
  const failures: Failure[] = [];
  const via = new Map<string, string>();
  await runPool(planned, r.concurrency, async (p, i) => {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
    if (p.reuse) {
      results.set(i, p.reuse);
      progress.fileDone();
      return;
    }
    try {
      if (p.preError) throw p.preError;
      const files: MetadataFile[] = [];
      for (const out of p.outputs) {
        if (out.target) {
          const s = await exportNative({
            drive: r.drive!,
            auth: r.opts.auth,
            file: p.entry.file,
            target: out.target,
            keys: p.entry.keys,
            store: ctx.store,
            key: out.key,
            rowId,
            signal: ctx.signal,
            trustedOrigins: r.trustedOrigins,
          });
          via.set(out.key, s.via);
          files.push({ key: s.key, size: s.size, sha256: s.sha256, path: out.relPath });
        } else {
          const s = await downloadMedia({
            drive: r.drive!,
            file: p.entry.file,
            keys: p.entry.keys,
            acknowledgeAbuse: r.opts.acknowledgeAbuse ?? false,
            store: ctx.store,
            key: out.key,
            rowId,
            signal: ctx.signal,
            maxResumes: r.maxResumes,
            stallTimeoutMs: r.stallTimeoutMs,
            onBytes: (n) => progress.bytes(i, n),
            onResume: (offset, reason) =>
              log.warn({ fileId: p.entry.file.id, offset, reason }, 'drive: connection dropped, resuming with Range'),
          });
          files.push({
            key: s.key,
            size: s.size,
            sha256: s.sha256,
            ...(p.entry.file.md5Checksum ? { md5: s.md5 } : {}),
            path: out.relPath,
          });
        }
      }
      results.set(i, files);
    } catch (err) {
      if (ctx.signal.aborted || isAbortError(err)) throw err;
      const e = toArchiveError(err);
      log.warn({ fileId: p.entry.file.id, category: e.category, err: e.message }, 'drive: file failed');
      failures.push({ index: i, id: p.entry.file.id!, path: p.path, error: e });
    } finally {
      progress.fileDone();
    }
  });
  failures.sort((x, y) => x.index - y.index);
  return { results, failures, via };
}
