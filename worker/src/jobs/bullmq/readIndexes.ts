/**
 * The read indexes of the BullMQ backend (keys.ts; docs/design.md §6): which sorted sets a job is
 * in, with which score, and which counter it counts in, as a pure function of its record. A write
 * moves a job between them with the operations indexOps() lists, inside the same script that
 * writes the record (scripts.ts), so the report and the gauges (readModel.ts) read counts and
 * ranges instead of every job.
 */
import type { SourceName } from '../../../../shared/columns.js';
import type { ErrorCategory } from '../../../../shared/errors.js';
import type { JobRecord, JobStatus } from '../../../../shared/schemas.js';

/** Set-name suffixes under `<prefix>:jobs:` (keys.ts). */
export const IDX = {
  fin: (status: 'completed' | 'failed', source: SourceName) => `fin:${status}:${source}`,
  fail: (category: ErrorCategory) => `fail:${category}`,
  ready: 'ready',
  due: 'due',
  dc: 'dc',
} as const;

/**
 * The `jobs:counts` field of a job, `<status>|<source>|<lane>`, or null for a YouTube job in the
 * youtube lane: those, the bulk, are not counted (the counts are 2 Redis commands per status
 * change); readModel.ts takes them as the rest of the status set's size.
 */
export function counterField(status: JobStatus, source: SourceName, lane: string | undefined): string | null {
  return source === 'youtube' && lane === 'youtube' ? null : `${status}|${source}|${lane ?? ''}`;
}

/** Parses a counter field back. */
export function parseCounterField(f: string): { status: JobStatus; source: SourceName; lane: string } {
  const [status, source, ...lane] = f.split('|');
  return { status: status as JobStatus, source: source as SourceName, lane: lane.join('|') };
}

const ms = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);

/**
 * The sorted sets a record is in (suffix → score, ms). The scores only change when what they
 * stand for changes: a queued job's updatedAt is when it became queued (nothing else updates it
 * while queued), as SQLite's ready_at; a data-corrupt job's score follows its last change, as
 * SQLite's updated_at.
 */
export function indexesOf(r: JobRecord): Map<string, number> {
  const out = new Map<string, number>();
  const finished = ms(r.finishedAt);
  if ((r.status === 'completed' || r.status === 'failed') && finished !== null) {
    out.set(IDX.fin(r.status, r.source), finished);
    if (r.status === 'failed') out.set(IDX.fail(r.error?.category ?? 'system'), finished);
  }
  if (r.status === 'queued') out.set(IDX.ready, ms(r.updatedAt) ?? 0);
  if (r.status === 'retrying') out.set(IDX.due, ms(r.nextRunAt) ?? ms(r.updatedAt) ?? 0);
  if (r.error?.category === 'data_corruption' || r.writeBack?.error?.category === 'data_corruption')
    out.set(IDX.dc, Math.max(ms(r.updatedAt) ?? 0, ms(r.writeBack?.at) ?? 0));
  return out;
}

/**
 * What the commit script must do to move a job from `before` to `after`, as flat triples: `a
 * <suffix> <score>` (ZADD), `r <suffix> ''` (ZREM), `c <counter field> <±1>` (HINCRBY jobs:counts;
 * none for an uncounted job, see counterField).
 * Empty when no index changes (most heartbeats).
 */
export function indexOps(before: JobRecord, after: JobRecord): string[] {
  const ops: string[] = [];
  const a = indexesOf(after);
  const b = indexesOf(before);
  for (const [suffix, score] of a) if (b.get(suffix) !== score) ops.push('a', suffix, String(score));
  for (const suffix of b.keys()) if (!a.has(suffix)) ops.push('r', suffix, '');
  const from = counterField(before.status, before.source, before.lane);
  const to = counterField(after.status, after.source, after.lane);
  if (from !== to) {
    if (from !== null) ops.push('c', from, '-1');
    if (to !== null) ops.push('c', to, '1');
  }
  return ops;
}
