/**
 * The scale-out job backend (docs/design.md §6): BullMQ on Redis, shared by every worker process.
 *
 * - one BullMQ queue per lane (laneQueues.ts); a lease is BullMQ manual processing (getNextJob
 *   with the owner as lock token), a heartbeat extends the lock, and BullMQ's stalled checker is
 *   the lease expiry: a dead holder's job goes back to the front of its lane;
 * - the JobRecord and the lease bookkeeping live in this backend's own keys (keys.ts), changed by
 *   compare-and-set scripts (scripts.ts), so a cancel, a heartbeat and a take-over never lose each
 *   other's writes; the BullMQ job carries only the job id;
 * - retries: fail() obeys the caller's RetryDecision with moveToDelayed to `atMs`; manual
 *   retries get a fresh BullMQ job at a higher priority, so they run first (design §4);
 * - lane caps are BullMQ global concurrency, lane pauses a Redis key with a PX expiry.
 */
import { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAX_MANUAL_ATTEMPTS } from '../../../../shared/errors.js';
import { JOB_KINDS, JOB_STATUSES } from '../../../../shared/schemas.js';
import type { JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../../shared/schemas.js';
import { CANCELLED_ERROR, listLimit } from '../backendCommon.js';
import { QueueError } from '../errors.js';
import { newJobId } from '../ids.js';
import { decodeCursor, encodeCursor } from '../sqliteRows.js';
import type { FactsOptions, QueueFacts, QueueGaugeSnapshot } from '../readModel.js';
import type { EnqueueResult, JobBackend, JobFilter, JobPage, JobStats, LanePause, Lease, NewJob, RetryDecision } from '../types.js';
import { fastClient, guarded, redisOptionsOf } from './connection.js';
import { Keys, parsePause, queueNameOf } from './keys.js';
import { LaneQueues } from './laneQueues.js';
import { counterField, indexOps } from './readIndexes.js';
import { BullMqReadModel } from './readModel.js';
import { withScripts, type ScriptClient } from './scripts.js';
import { OPEN, isLeased, isOpen, newStoredJob, nextBullId, union, PRIORITY_MANUAL, type StoredJob } from './stored.js';

export interface BullMqBackendOptions {
  /** `redis://host:port[/db]` (REDIS_URL) */
  url: string;
  /** key prefix of every key, BullMQ's included; default `sa` */
  prefix?: string;
  /** ARCHIVER_LANE_CONCURRENCY: lane → most jobs leased at once across every worker */
  laneConcurrency?: Readonly<Record<string, number>>;
  /**
   * How often BullMQ's stalled checker looks for jobs whose lock ran out, ms (default 5000). A
   * dead holder's job is runnable again at most about two intervals after its lease expired.
   */
  stalledIntervalMs?: number;
  /** Take-overs from dead holders allowed within one attempt before the job fails as `system` (default 3). */
  maxReclaims?: number;
  /** Deadline of one call while Redis does not answer, ms (default 3000); then QueueError 'unavailable'. */
  commandTimeoutMs?: number;
  /**
   * How long an enqueue's record may wait for its BullMQ job before another worker's lease adds
   * it (the enqueuer died in between), ms; default 10000.
   */
  pendingGraceMs?: number;
  /** Background errors (connections, stalled checker); default: ignored, they are retried anyway. */
  onError?: (err: Error) => void;
}

const BULL_JOB_NAME = 'job';

/** One planned change of a stored job: what to write (null: nothing) and what to answer. */
interface Plan<T> {
  write: StoredJob | null;
  idem?: 'set';
  durationMs?: number;
  pending?: boolean;
  value: T;
}

type Outcome = 'ok' | 'stale' | 'later' | 'reclaimed_too_often';

/** A stored job as read: its JSON (the compare-and-set's expected value), its seq, and parsed. */
interface Current {
  raw: string;
  seq: string;
  s: StoredJob;
}

export class BullMqJobBackend implements JobBackend {
  readonly kind = 'bullmq' as const;
  private readonly redis: ScriptClient;
  private readonly keys: Keys;
  private readonly lanes: LaneQueues;
  private readonly maxReclaims: number;
  private readonly timeoutMs: number;
  private readonly stalledIntervalMs: number;
  private readonly pendingGraceMs: number;
  /** BullMQ jobs this process holds, so completing them needs no extra read */
  private readonly held = new Map<string, Job>();
  private lastRepair = 0;
  /** lanes this process has seen in `jobs:lanes` (enqueue then skips writing them) */
  private readonly knownLanes = new Set<string>();
  private readonly readModel: BullMqReadModel;

  /** @throws QueueError 'invalid_argument' (field `REDIS_URL`) for a malformed URL; RangeError for a lane cap below 1. */
  constructor(opts: BullMqBackendOptions) {
    for (const [lane, n] of Object.entries(opts.laneConcurrency ?? {}))
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`laneConcurrency.${lane} must be a positive integer, got ${n}`);
    const prefix = opts.prefix ?? 'sa';
    this.timeoutMs = opts.commandTimeoutMs ?? 3000;
    this.stalledIntervalMs = opts.stalledIntervalMs ?? 5000;
    this.maxReclaims = opts.maxReclaims ?? 3;
    this.pendingGraceMs = opts.pendingGraceMs ?? 10_000;
    const onError = opts.onError ?? (() => undefined);
    const client: Redis = fastClient(opts.url, this.timeoutMs);
    client.on('error', onError);
    this.redis = withScripts(client);
    this.keys = new Keys(prefix);
    this.readModel = new BullMqReadModel(this.redis, this.keys);
    this.lanes = new LaneQueues({
      prefix,
      client,
      workerConnection: redisOptionsOf(opts.url),
      laneConcurrency: opts.laneConcurrency ?? {},
      stalledIntervalMs: this.stalledIntervalMs,
      onError,
    });
  }

  /** Resolves once the connection is up (or rejects with 'unavailable' after `timeoutMs`). */
  async ready(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.redis.status !== 'ready') {
      if (Date.now() > end) throw new QueueError('unavailable', `job store (Redis) not reachable within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return guarded(this.redis, what, this.timeoutMs, fn);
  }

  private async read(jobId: string): Promise<Current | null> {
    const [raw, seq] = await this.redis.hmget(this.keys.rec(jobId), 'j', 's');
    return raw ? { raw, seq: seq ?? '0', s: JSON.parse(raw) as StoredJob } : null;
  }

  /**
   * Reads a job, lets `plan` decide, and writes the decision with a compare-and-set; when the job
   * changed in between (another worker, a cancel), reads and decides again.
   * @throws QueueError 'conflict' when the plan reopens a job whose idempotency key another open job holds
   */
  private async update<T>(jobId: string, plan: (s: StoredJob | null) => Plan<T>, first?: Current): Promise<T> {
    for (let i = 0; i < 20; i++) {
      const cur = i === 0 && first ? first : await this.read(jobId);
      const p = plan(cur ? cur.s : null);
      if (!p.write || !cur) return p.value;
      const next = JSON.stringify(p.write);
      const k = this.keys;
      const res = await this.redis.saCommit(
        k.rec(jobId),
        k.stats,
        k.idem(cur.s.r.idempotencyKey),
        k.pending,
        cur.raw,
        next,
        cur.s.r.status,
        p.write.r.status,
        jobId,
        k.base,
        p.idem ?? '',
        p.durationMs === undefined ? '' : String(Math.max(0, Math.round(p.durationMs))),
        p.pending ? String(Date.now()) : '',
        cur.seq,
        ...indexOps(cur.s.r, p.write.r),
      );
      if (res === 1) return p.value;
      if (typeof res === 'string' && res !== '0')
        throw new QueueError('conflict', `job ${res} is already open for the same row, source and links`);
    }
    throw new QueueError('conflict', `job ${jobId} kept changing under this update; try again`);
  }

  // ---------------------------------------------------------------- producer

  /** See JobProducer.enqueue. New jobs start queued; their BullMQ jobs are added per lane in one round trip each. */
  enqueue(jobs: NewJob[]): Promise<EnqueueResult[]> {
    return this.run('enqueue', async () => {
      if (jobs.length === 0) return [];
      const now = Date.now();
      const stored = jobs.map((j) => newStoredJob(j, newJobId(now), now));
      const args = stored.flatMap((s) => [
        s.r.idempotencyKey,
        s.r.jobId,
        s.r.lane!,
        queueNameOf(s.r.lane!),
        s.r.kind ?? 'archive',
        JSON.stringify(s),
        counterField('queued', s.r.source, s.r.lane) ?? '',
      ]);
      const answers = await this.redis.saEnqueue(this.keys.base, String(now), ...args);
      const mine = new Map(stored.map((s) => [s.r.jobId, s]));
      const created = stored.filter((_, i) => answers[i] === 0);
      const twins = [...new Set(answers.filter((a): a is string => typeof a === 'string' && !mine.has(a)))];
      const others = new Map<string, JobRecord>();
      for (const id of twins) {
        const t = await this.read(id);
        if (t) others.set(id, t.s.r);
      }
      await this.addBullJobs(created, created.map((s) => s.r.jobId).join(','));
      return answers.map((a, i) => {
        if (a === 0) return { job: stored[i]!.r, created: true };
        const job = mine.get(a)?.r ?? others.get(a);
        if (!job) throw new QueueError('conflict', `job ${a} holds this work's idempotency key but has no record`);
        return { job, created: false };
      });
    });
  }

  /** Adds the BullMQ jobs of freshly stored (or reopened) jobs, then drops their `pending` member. */
  private async addBullJobs(list: StoredJob[], pendingMember: string): Promise<void> {
    if (!list.length) return;
    const byLane = new Map<string, StoredJob[]>();
    for (const s of list) byLane.set(s.r.lane!, [...(byLane.get(s.r.lane!) ?? []), s]);
    const now = Date.now();
    for (const [lane, items] of byLane) {
      await this.lanes.queue(lane).addBulk(
        items.map((s) => {
          const due = s.r.status === 'retrying' && s.r.nextRunAt ? Date.parse(s.r.nextRunAt) - now : 0;
          return {
            name: BULL_JOB_NAME,
            data: { jobId: s.r.jobId },
            opts: { jobId: s.b, priority: s.p, removeOnComplete: true, removeOnFail: true, ...(due > 0 ? { delay: due } : {}) },
          };
        }),
      );
    }
    await this.redis.zrem(this.keys.pending, pendingMember);
  }

  /**
   * Re-adds the BullMQ job of any open job left in `pending` for longer than pendingGraceMs (its
   * enqueuer died between storing the record and adding the BullMQ job). BullMQ ignores an add
   * whose job id exists, so this is safe to repeat. Runs at most once per stalled interval.
   */
  private async repairPending(): Promise<void> {
    const now = Date.now();
    if (now - this.lastRepair < Math.min(this.stalledIntervalMs, this.pendingGraceMs)) return;
    this.lastRepair = now;
    const members = await this.redis.zrangebyscore(this.keys.pending, '-inf', now - this.pendingGraceMs, 'LIMIT', 0, 20);
    for (const member of members) {
      const todo: StoredJob[] = [];
      for (const id of member.split(',')) {
        const cur = await this.read(id);
        if (cur && (cur.s.r.status === 'queued' || cur.s.r.status === 'retrying')) todo.push(cur.s);
      }
      if (todo.length) await this.addBullJobs(todo, member);
      else await this.redis.zrem(this.keys.pending, member);
    }
  }

  // ---------------------------------------------------------------- consumer

  /**
   * See JobConsumer.lease. Lanes are tried in the order of their next job (scripts.ts LANES), so
   * the contract's order holds across lanes; paused lanes are skipped, a lane at its cap yields nothing.
   */
  lease(owner: string, leaseMs: number): Promise<Lease | null> {
    if (!owner) return Promise.reject(new QueueError('invalid_argument', 'lease owner must not be empty', { field: 'owner' }));
    if (!(leaseMs > 0))
      return Promise.reject(new QueueError('invalid_argument', `leaseMs must be > 0, got ${leaseMs}`, { field: 'leaseMs' }));
    return this.run('lease', async () => {
      await this.repairPending();
      const now = Date.now();
      const states = await this.laneStates();
      // every lane gets its worker here, empty or paused ones too: its stalled checker is what
      // brings back a job whose holder died, even when every worker restarted since
      for (const l of states) if (!this.lanes.hasWorker(l.lane)) await this.lanes.worker(l.lane, leaseMs);
      const lanes = states
        .filter((l) => l.order !== '' && (!l.pause || l.pause.untilMs <= now))
        .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
        .map((l) => l.lane);
      for (const lane of lanes) {
        const { worker, lockMs } = await this.lanes.worker(lane, leaseMs);
        for (;;) {
          const job = await worker.getNextJob(owner, { block: false });
          if (!job) break;
          const lease = await this.claim(job, owner, leaseMs, lockMs);
          if (lease) return lease;
        }
      }
      return null;
    });
  }

  /** Turns a BullMQ job just fetched into a lease, or disposes of it when its record says it is not runnable. */
  private async claim(job: Job, owner: string, leaseMs: number, lockMs: number): Promise<Lease | null> {
    const jobId = (job.data as { jobId: string }).jobId;
    const now = Date.now();
    const iso = new Date(now).toISOString();
    let due = 0;
    let leased: JobRecord | null = null;
    const outcome = await this.update<Outcome>(jobId, (s) => {
      if (!s || s.b !== job.id || !isOpen(s.r.status)) return { write: null, value: 'stale' };
      if (s.r.status === 'retrying' && s.r.nextRunAt && Date.parse(s.r.nextRunAt) > now + 50) {
        due = Date.parse(s.r.nextRunAt);
        return { write: null, value: 'later' };
      }
      const n = isLeased(s.r.status) ? s.n + 1 : s.n;
      if (n > this.maxReclaims) {
        const error: JobError = {
          category: 'system',
          message: `worker lost the job ${s.n} times (lease expired; last holder ${s.o ?? '?'})`,
        };
        const r: JobRecord = { ...s.r, status: 'failed', error, progress: null, finishedAt: iso, updatedAt: iso, nextRunAt: null };
        return { write: { ...s, r, o: null, x: null }, value: 'reclaimed_too_often' };
      }
      const r: JobRecord = {
        ...s.r,
        status: 'downloading',
        progress: null,
        nextRunAt: null,
        startedAt: s.r.startedAt ?? iso,
        updatedAt: iso,
      };
      leased = r;
      return { write: { ...s, r, o: owner, x: now + leaseMs, n }, value: 'ok' };
    });
    if (outcome === 'stale') {
      await job.moveToCompleted('stale', owner, false).catch(() => undefined);
      return null;
    }
    if (outcome === 'later') {
      await job.moveToDelayed(due, owner);
      return null;
    }
    if (outcome === 'reclaimed_too_often') {
      await job.moveToFailed(new Error('reclaimed too often'), owner, false).catch(() => undefined);
      return null;
    }
    if (leaseMs !== lockMs) await job.extendLock(owner, leaseMs);
    this.held.set(jobId, job);
    return { job: leased!, owner, leaseExpiresAt: now + leaseMs };
  }

  /** The BullMQ job of a stored job: the one this process fetched, else read from Redis. */
  private async bullJob(s: StoredJob): Promise<Job | undefined> {
    const h = this.held.get(s.r.jobId);
    if (h && h.id === s.b) return h;
    return Job.fromId(this.lanes.queue(s.r.lane!), s.b);
  }

  /** See JobConsumer.heartbeat. Extends the BullMQ lock; progress is written only when given. */
  heartbeat(jobId: string, owner: string, leaseMs: number, progress?: JobProgress | null): Promise<'ok' | 'cancelled' | 'lost'> {
    return this.run('heartbeat', async () => {
      const cur = await this.read(jobId);
      if (!cur || cur.s.o !== owner) return 'lost';
      if (cur.s.r.status === 'cancelled') return 'cancelled';
      if (!isLeased(cur.s.r.status)) return 'lost';
      const job = await this.bullJob(cur.s);
      if (!job || (await job.extendLock(owner, leaseMs)) !== 1) {
        this.held.delete(jobId);
        return 'lost';
      }
      if (progress === undefined) return 'ok';
      const iso = new Date().toISOString();
      return this.update(
        jobId,
        (s) => {
          if (!s || s.o !== owner) return { write: null, value: 'lost' as const };
          if (s.r.status === 'cancelled') return { write: null, value: 'cancelled' as const };
          if (!isLeased(s.r.status)) return { write: null, value: 'lost' as const };
          return { write: { ...s, r: { ...s.r, progress, updatedAt: iso }, x: Date.now() + leaseMs }, value: 'ok' as const };
        },
        cur,
      );
    });
  }

  /**
   * The job as `owner` holds it, for a plan. With allowCancelled a job cancelled while held passes.
   * @throws QueueError 'not_found' | 'lease_lost'
   */
  private heldBy(jobId: string, s: StoredJob | null, owner: string, allowCancelled: boolean): StoredJob {
    if (!s) throw new QueueError('not_found', `no job ${jobId}`);
    const leased = isLeased(s.r.status);
    if (s.o === owner && (leased || (allowCancelled && s.r.status === 'cancelled'))) return s;
    const why =
      s.r.status === 'cancelled'
        ? 'it was cancelled'
        : leased
          ? `it is now held by ${s.o ?? 'nobody'} (the lease of ${owner} expired)`
          : `it is ${s.r.status}`;
    throw new QueueError('lease_lost', `${owner} no longer holds job ${jobId}: ${why}`);
  }

  /** See JobConsumer.setStatus. */
  setStatus(jobId: string, owner: string, status: 'downloading' | 'uploading'): Promise<void> {
    return this.run('setStatus', async () => {
      const iso = new Date().toISOString();
      await this.update(jobId, (cur) => {
        const s = this.heldBy(jobId, cur, owner, false);
        return { write: { ...s, r: { ...s.r, status, updatedAt: iso } }, value: undefined };
      });
    });
  }

  /** Ends the BullMQ side of a finished job (its record is written first: a crash in between only leaves a stale BullMQ job behind). */
  private async finishBull(s: StoredJob, owner: string, failed: boolean): Promise<void> {
    const job = await this.bullJob(s);
    this.held.delete(s.r.jobId);
    if (!job) return;
    // a lock already lost leaves the BullMQ job to the stalled checker; its next lease sees it finished
    await (failed ? job.moveToFailed(new Error('failed'), owner, false) : job.moveToCompleted(null, owner, false)).catch(() => undefined);
  }

  /** See JobConsumer.complete. A job cancelled while held stays cancelled, with its files recorded. */
  complete(jobId: string, owner: string, result: { files: string[]; mediaIds: string[] }): Promise<JobRecord> {
    return this.run('complete', async () => {
      const now = Date.now();
      const iso = new Date(now).toISOString();
      const done = await this.update(jobId, (cur) => {
        const s = this.heldBy(jobId, cur, owner, true);
        const status: JobStatus = s.r.status === 'cancelled' ? 'cancelled' : 'completed';
        const r: JobRecord = {
          ...s.r,
          status,
          error: status === 'completed' ? null : s.r.error,
          files: union(s.r.files, result.files),
          mediaIds: union(s.r.mediaIds, result.mediaIds),
          progress: null,
          nextRunAt: null,
          finishedAt: s.r.finishedAt ?? iso,
          updatedAt: iso,
        };
        const started = s.r.startedAt ? Date.parse(s.r.startedAt) : now;
        const next: StoredJob = { ...s, r, o: null, x: null };
        return status === 'completed' ? { write: next, durationMs: now - started, value: next } : { write: next, value: next };
      });
      await this.finishBull(done, owner, done.r.status !== 'completed');
      return done.r;
    });
  }

  /** See JobConsumer.fail: `retry` → retrying, attempt+1, BullMQ moveToDelayed to `atMs`; `fail` → failed. */
  fail(
    jobId: string,
    owner: string,
    error: JobError,
    decision: RetryDecision,
    partial?: { files: string[]; mediaIds: string[] },
  ): Promise<JobRecord> {
    return this.run('fail', async () => {
      const iso = new Date().toISOString();
      const done = await this.update(jobId, (cur) => {
        const s = this.heldBy(jobId, cur, owner, true);
        const base: JobRecord = {
          ...s.r,
          files: union(s.r.files, partial?.files),
          mediaIds: union(s.r.mediaIds, partial?.mediaIds),
          updatedAt: iso,
        };
        let next: StoredJob;
        if (s.r.status === 'cancelled') next = { ...s, r: base, o: null, x: null };
        else if (decision.action === 'retry') {
          const r: JobRecord = {
            ...base,
            status: 'retrying',
            attempt: s.r.attempt + 1,
            error,
            progress: null,
            nextRunAt: new Date(decision.atMs).toISOString(),
          };
          next = { ...s, r, o: null, x: null, n: 0 };
        } else {
          const r: JobRecord = { ...base, status: 'failed', error, progress: null, nextRunAt: null, finishedAt: iso };
          return { write: { ...s, r, o: null, x: null }, value: { ...s, r } };
        }
        return { write: next, value: next };
      });
      if (done.r.status === 'retrying') {
        const job = await this.bullJob(done);
        this.held.delete(jobId);
        // a lost lock leaves it to the stalled checker; claim() then delays it to nextRunAt
        if (job) await job.moveToDelayed(decision.action === 'retry' ? decision.atMs : Date.now(), owner).catch(() => undefined);
      } else await this.finishBull(done, owner, true);
      return done.r;
    });
  }

  /** See JobConsumer.release: queued at the same attempt, BullMQ moveToWait (the front of its priority in the lane). */
  release(jobId: string, owner: string): Promise<void> {
    return this.run('release', async () => {
      const iso = new Date().toISOString();
      const s = await this.update(jobId, (cur) => {
        if (!cur || cur.o !== owner || !isLeased(cur.r.status)) return { write: null, value: null };
        const next: StoredJob = { ...cur, r: { ...cur.r, status: 'queued', progress: null, updatedAt: iso }, o: null, x: null };
        return { write: next, value: next };
      });
      if (!s) return;
      const job = await this.bullJob(s);
      this.held.delete(jobId);
      if (job) await job.moveToWait(owner).catch(() => undefined);
    });
  }

  /** See JobConsumer.pauseLane. */
  pauseLane(pause: LanePause): Promise<void> {
    return this.run('pauseLane', async () => {
      await this.redis.saPauseLane(
        this.keys.lanes,
        this.keys.laneSince,
        String(Math.floor(pause.untilMs)),
        String(Date.now()),
        pause.reason,
        pause.lane,
        queueNameOf(pause.lane),
      );
    });
  }

  /**
   * Every known lane, its pause (null when running) and the order of its next job (text; '' none;
   * see scripts.ts LANES). With one lane there is nothing to order, and one HGETALL answers; once
   * this process knows several, the script answers alone.
   */
  private async laneStates(): Promise<{ lane: string; pause: LanePause | null; order: string }[]> {
    const k = this.keys;
    const ordered = async () => {
      const flat = await this.redis.saLanes(k.lanes, `${k.prefix}:`, String(Date.now()));
      const out: { lane: string; pause: LanePause | null; order: string }[] = [];
      for (let i = 0; i < flat.length; i += 3) out.push({ lane: flat[i]!, pause: parsePause(flat[i]!, flat[i + 1]!), order: flat[i + 2]! });
      return out;
    };
    let states: { lane: string; pause: LanePause | null; order: string }[];
    if (this.knownLanes.size > 1) states = await ordered();
    else {
      const h = await this.redis.hgetall(k.lanes);
      const names = Object.keys(h).filter((f) => !f.startsWith('!p:'));
      states =
        names.length > 1 ? await ordered() : names.map((lane) => ({ lane, pause: parsePause(lane, h[`!p:${lane}`] ?? ''), order: '0' }));
    }
    for (const l of states) this.knownLanes.add(l.lane);
    return states.sort((a, b) => (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : 0));
  }

  // ---------------------------------------------------------------- admin

  get(jobId: string): Promise<JobRecord | null> {
    return this.run('get', async () => (await this.read(jobId))?.s.r ?? null);
  }

  /** See JobAdmin.list: newest first by creation seq; the status filter reads its own index, other filters skip. */
  list(filter: JobFilter): Promise<JobPage> {
    return this.run('list', async () => {
      const limit = listLimit(filter.limit);
      let max = '+inf';
      if (filter.cursor !== undefined && filter.cursor !== '') {
        const seq = decodeCursor(filter.cursor);
        if (seq === null)
          throw new QueueError('invalid_argument', 'cursor: not a cursor this queue returned (use nextCursor as given)', {
            field: 'cursor',
          });
        max = `(${seq}`;
      }
      // every job is in exactly one status set: merge them newest first (or read the one asked for)
      const sources = (filter.status ? [filter.status] : JOB_STATUSES).map((st) => this.keys.status(st));
      const chunk = Math.max(100, limit + 1);
      const found: { seq: number; job: JobRecord }[] = [];
      while (found.length <= limit) {
        const ranges = this.redis.pipeline();
        for (const key of sources) ranges.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, chunk);
        const cands: { id: string; seq: number }[] = [];
        let more = false;
        for (const [err, flat] of (await ranges.exec()) ?? []) {
          if (err) throw err;
          const f = flat as string[];
          if (f.length / 2 >= chunk) more = true;
          for (let i = 0; i < f.length; i += 2) cands.push({ id: f[i]!, seq: Number(f[i + 1]) });
        }
        // the newest `chunk` of the union are complete; beyond that a source may hold newer ones
        const batch = cands.sort((a, b) => b.seq - a.seq).slice(0, chunk);
        if (!batch.length) break;
        more ||= cands.length > batch.length;
        const pipe = this.redis.pipeline();
        for (const c of batch) pipe.hget(this.keys.rec(c.id), 'j');
        ((await pipe.exec()) ?? []).forEach(([err, raw], i) => {
          if (err || typeof raw !== 'string') return;
          const job = (JSON.parse(raw) as StoredJob).r;
          if (filter.rowId !== undefined && job.rowId !== filter.rowId) return;
          if (filter.source && job.source !== filter.source) return;
          if (filter.kind && (job.kind ?? 'archive') !== filter.kind) return;
          found.push({ seq: batch[i]!.seq, job });
        });
        max = `(${batch[batch.length - 1]!.seq}`;
        if (!more) break;
      }
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return { jobs: page.map((f) => f.job), nextCursor: found.length > limit && last ? encodeCursor(last.seq) : null };
    });
  }

  /** How many jobs are in each status: the sizes of the status sets. */
  private async statusCounts(statuses: readonly JobStatus[]): Promise<number[]> {
    const pipe = this.redis.pipeline();
    for (const st of statuses) pipe.zcard(this.keys.status(st));
    const res = (await pipe.exec()) ?? [];
    return res.map(([err, n]) => {
      if (err) throw err;
      return Number(n);
    });
  }

  /** See JobAdmin.stats: status counts from the status sets, kinds and durations from counters. */
  stats(): Promise<JobStats> {
    return this.run('stats', async () => {
      const counts = await this.statusCounts(JOB_STATUSES);
      const h = await this.redis.hgetall(this.keys.stats);
      const byStatus = Object.fromEntries(JOB_STATUSES.map((s, i) => [s, counts[i]!])) as Record<JobStatus, number>;
      const total = counts.reduce((a, b) => a + b, 0);
      const byKind = Object.fromEntries(JOB_KINDS.map((k) => [k, Math.max(0, Number(h[`k:${k}`] ?? 0))])) as Record<JobKind, number>;
      // only the other kinds are counted (one command less per job): archive is the rest
      byKind.archive = Math.max(0, total - JOB_KINDS.reduce((a, k) => (k === 'archive' ? a : a + byKind[k]), 0));
      const finished = byStatus.completed + byStatus.failed;
      return {
        byStatus,
        byKind,
        successRate: finished === 0 ? null : byStatus.completed / finished,
        meanDurationMs: byStatus.completed === 0 ? null : Math.round(Number(h['dsum'] ?? 0) / byStatus.completed),
        total,
      };
    });
  }

  openCount(): Promise<number> {
    return this.run('openCount', async () => (await this.statusCounts(OPEN)).reduce((a, b) => a + b, 0));
  }

  /** See JobAdmin.retry: a fresh BullMQ job at the manual priority, ahead of automatic work. */
  retry(jobId: string): Promise<JobRecord> {
    return this.run('retry', async () => {
      const iso = new Date().toISOString();
      const s = await this.update(jobId, (cur) => {
        if (!cur) throw new QueueError('not_found', `no job ${jobId}`);
        if (cur.r.status !== 'failed' && cur.r.status !== 'cancelled')
          throw new QueueError('conflict', `job ${jobId} is ${cur.r.status}; only failed or cancelled jobs can be retried`);
        if (cur.r.attempt + 1 > MAX_MANUAL_ATTEMPTS)
          throw new QueueError(
            'attempts_exhausted',
            `job ${jobId} has used ${cur.r.attempt} attempts; the limit is ${MAX_MANUAL_ATTEMPTS}`,
          );
        const r: JobRecord = {
          ...cur.r,
          status: 'queued',
          attempt: cur.r.attempt + 1,
          maxAttempts: Math.max(cur.r.maxAttempts, MAX_MANUAL_ATTEMPTS),
          progress: null,
          nextRunAt: null,
          finishedAt: null,
          updatedAt: iso,
        };
        const next: StoredJob = { ...cur, r, o: null, x: null, n: 0, b: nextBullId(cur), p: PRIORITY_MANUAL };
        return { write: next, idem: 'set', pending: true, value: next };
      });
      await this.addBullJobs([s], jobId);
      return s.r;
    });
  }

  /** See JobAdmin.cancel: a waiting job's BullMQ job is removed; a held one's holder sees 'cancelled' on its next heartbeat. */
  cancel(jobId: string): Promise<JobRecord | null> {
    return this.run('cancel', async () => {
      const iso = new Date().toISOString();
      const res = await this.update(jobId, (cur) => {
        if (!cur) return { write: null, value: null };
        if (!isOpen(cur.r.status)) return { write: null, value: { s: cur, waiting: false } };
        const held = isLeased(cur.r.status);
        const r: JobRecord = { ...cur.r, status: 'cancelled', error: CANCELLED_ERROR, nextRunAt: null, finishedAt: iso, updatedAt: iso };
        const next: StoredJob = { ...cur, r, o: held ? cur.o : null, x: null };
        return { write: next, value: { s: next, waiting: !held } };
      });
      if (!res) return null;
      // a job leased meanwhile stays in BullMQ's active list: its claim sees it cancelled and drops it
      if (res.waiting)
        await this.lanes
          .queue(res.s.r.lane!)
          .remove(res.s.b)
          .catch(() => 0);
      return res.s.r;
    });
  }

  /** See JobAdmin.recordWriteBack: only `writeBack` changes. */
  recordWriteBack(jobId: string, writeBack: NonNullable<JobRecord['writeBack']>): Promise<void> {
    return this.run('recordWriteBack', async () => {
      await this.update(jobId, (cur) => ({ write: cur ? { ...cur, r: { ...cur.r, writeBack } } : null, value: undefined }));
    });
  }

  /** See JobAdmin.lanePauses: the lanes paused now, by lane name. */
  lanePauses(): Promise<LanePause[]> {
    return this.run('lanePauses', async () => {
      const now = Date.now();
      return (await this.laneStates()).flatMap((l) => (l.pause && l.pause.untilMs > now ? [l.pause] : []));
    });
  }

  /** See QueueReadModel.facts (jobs/readModel.ts): counts and ranges of the read indexes (readModel.ts). */
  facts(o: FactsOptions): Promise<QueueFacts> {
    return this.run('facts', () => this.readModel.facts(o));
  }

  /** See QueueReadModel.gauges: one HGETALL of the counters and two range lookups. */
  gauges(now: number): Promise<QueueGaugeSnapshot> {
    return this.run('gauges', () => this.readModel.gauges(now));
  }

  /** True when Redis answers PING within the command deadline. */
  async ping(): Promise<boolean> {
    try {
      return (await this.run('ping', () => this.redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Closes the lane workers and queues and the connection. Idempotent. */
  async close(): Promise<void> {
    await this.lanes.close();
    this.held.clear();
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
