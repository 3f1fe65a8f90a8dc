/**
 * Run ids and where run logs live. A run is one `sheet-archiver run` or one dispatch accepted by
 * `serve`; its id is the jobs' `dispatchId`, so every job carries its run id with no extra field:
 * `r_` + a ULID for `run`, the dispatch's own UUID for `serve` (design §3 `dispatchId`).
 */
import { join } from 'node:path';
import { newJobId } from '../jobs/ids.js';

/** A new run id: `r_` + a ULID (sorts by creation time), e.g. `r_01JD3X9Q7M4ZK8V2N5T6W1R0YA`. */
export function newRunId(now: number = Date.now()): string {
  return `r_${newJobId(now).slice(2)}`;
}

/** What a run id looks like: `r_` + ULID, or a dispatch UUID. Also what may name a run log file. */
export const RUN_ID_PATTERN = /^(r_[0-9A-HJKMNP-TV-Z]{26}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** `<ARCHIVER_DATA>/logs/runs`: one `<run id>.jsonl` per run. */
export function runLogDir(dataDir: string): string {
  return join(dataDir, 'logs', 'runs');
}

/** The log file of a run. @throws Error when `runId` is not a run id (no path tricks). */
export function runLogPath(dir: string, runId: string): string {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`not a run id: ${runId}`);
  return join(dir, `${runId}.jsonl`);
}
