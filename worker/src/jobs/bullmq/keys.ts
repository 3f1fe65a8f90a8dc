/**
 * The Redis key layout of the BullMQ backend (docs/design.md §6). BullMQ keeps its own keys
 * under `<prefix>:lane-<lane>:*` (one queue per lane); this backend's own keys live under
 * `<prefix>:jobs:*`, a name no lane queue can take:
 *
 * - `jobs:rec:<jobId>`   hash: `j` the stored job (JSON, see stored.ts), `s` its creation seq, `t` its status
 * - `jobs:seq`           counter handing out creation seqs
 * - `jobs:st:<status>`   sorted set of the job ids in one status, by seq (list paging, counts)
 * - `jobs:stats`         hash of counters: `k:<kind>` (kinds but archive), `dsum` (ms, summed over completed jobs)
 * - `jobs:idem:<key>`    the last job of an idempotency key (design §3); it blocks a twin while open
 * - `jobs:lanes`         hash: every lane ever used → its BullMQ queue name, and per paused
 *                        lane `!p:<lane>` → `<untilMs>|<reason>` (over once now passes untilMs)
 * - `jobs:pending`       sorted set of `id,id,…` (one enqueue or retry each) whose BullMQ jobs may not exist yet
 * - `jobs:lanesince`     hash: paused lane → when its pause began (ms), for the report
 *
 * The read indexes of the report and the gauges (readIndexes.ts, read by readModel.ts), kept by
 * the same scripts:
 * - `jobs:counts`                  hash `<status>|<source>|<lane>` → jobs (YouTube jobs of the youtube
 *                                  lane are not counted: they are the rest of each `st:` set)
 * - `jobs:fin:<status>:<source>`   completed / failed jobs by finishedAt (ms)
 * - `jobs:fail:<category>`         failed jobs by finishedAt, per error category
 * - `jobs:ready`                   queued jobs by the time they became queued
 * - `jobs:due`                     retrying jobs by nextRunAt
 * - `jobs:dc`                      jobs with a data_corruption error or refused write, by last change
 *
 * The scripts build keys from the prefix, so the layout is for one Redis (no Cluster slots).
 */

/** Key names for one prefix. */
export class Keys {
  readonly base: string;
  constructor(readonly prefix: string) {
    this.base = `${prefix}:jobs:`;
  }
  rec(jobId: string): string {
    return `${this.base}rec:${jobId}`;
  }
  idem(key: string): string {
    return `${this.base}idem:${key}`;
  }
  status(status: string): string {
    return `${this.base}st:${status}`;
  }
  get stats(): string {
    return `${this.base}stats`;
  }
  get lanes(): string {
    return `${this.base}lanes`;
  }
  get pending(): string {
    return `${this.base}pending`;
  }
  get laneSince(): string {
    return `${this.base}lanesince`;
  }
  /** a read index by its suffix (readIndexes.ts) */
  index(suffix: string): string {
    return `${this.base}${suffix}`;
  }
}

/**
 * The BullMQ queue name of a lane: `lane-` + the lane URI-encoded, because BullMQ refuses `:` in
 * queue names and a host lane is `host:port`.
 */
export function queueNameOf(lane: string): string {
  return `lane-${encodeURIComponent(lane)}`;
}

/**
 * A lane's pause as stored in `jobs:lanes` (`!p:<lane>` = `<untilMs>|<reason>`), or null when the
 * value is not one.
 */
export function parsePause(lane: string, v: string): { lane: string; untilMs: number; reason: string } | null {
  const bar = v.indexOf('|');
  return bar > 0 ? { lane, untilMs: Number(v.slice(0, bar)), reason: v.slice(bar + 1) } : null;
}
