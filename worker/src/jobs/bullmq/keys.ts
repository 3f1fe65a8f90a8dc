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
}

/**
 * The BullMQ queue name of a lane: `lane-` + the lane URI-encoded, because BullMQ refuses `:` in
 * queue names and a host lane is `host:port`.
 */
export function queueNameOf(lane: string): string {
  return `lane-${encodeURIComponent(lane)}`;
}
