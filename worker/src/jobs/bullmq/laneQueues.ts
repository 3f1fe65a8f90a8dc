/**
 * One BullMQ queue per lane (design §4), opened on first use: a Queue for adding and removing
 * jobs, and a Worker without a processor for manual fetching (`getNextJob`), whose stalled
 * checker is the lease expiry: a job whose holder stopped extending its lock goes back to the
 * front of its lane's wait list (BullMQ RPUSHes stalled jobs), where the next lease takes it.
 * Lock renewal is off: the holder's heartbeat extends the lock, so a hung or dead holder loses it.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNameOf } from './keys.js';

export interface LaneQueueOptions {
  prefix: string;
  /** shared fail-fast client for Queue objects */
  client: Redis;
  /** connection options for Workers (BullMQ opens its own connections for them) */
  workerConnection: ConnectionOptions;
  /** lane → most jobs leased at once across all workers (BullMQ global concurrency) */
  laneConcurrency: Readonly<Record<string, number>>;
  /** how often the stalled checker runs, ms */
  stalledIntervalMs: number;
  /** reports errors of the background connections (never thrown) */
  onError: (err: Error) => void;
}

export class LaneQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, { worker: Worker; lockMs: number }>();
  private readonly capped = new Set<string>();
  constructor(private readonly opts: LaneQueueOptions) {}

  /** The lane's Queue (adding, removing jobs), opened on first use. */
  queue(lane: string): Queue {
    let q = this.queues.get(lane);
    if (!q) {
      q = new Queue(queueNameOf(lane), { connection: this.opts.client, prefix: this.opts.prefix, skipVersionCheck: true });
      q.on('error', this.opts.onError);
      this.queues.set(lane, q);
    }
    return q;
  }

  /** True when this process has opened the lane's Worker. */
  hasWorker(lane: string): boolean {
    return this.workers.has(lane);
  }

  /**
   * The lane's manual Worker, opened on first use with `lockMs` as the lock duration its
   * getNextJob sets (returned as `lockMs`), its stalled checker started, and the lane's cap set.
   */
  async worker(lane: string, lockMs: number): Promise<{ worker: Worker; lockMs: number }> {
    if (!this.capped.has(lane)) {
      const cap = this.opts.laneConcurrency[lane];
      if (cap !== undefined) await this.queue(lane).setGlobalConcurrency(cap);
      this.capped.add(lane);
    }
    let w = this.workers.get(lane);
    if (w) return w;
    const worker = new Worker(queueNameOf(lane), null, {
      connection: this.opts.workerConnection,
      prefix: this.opts.prefix,
      autorun: false,
      lockDuration: lockMs,
      stalledInterval: this.opts.stalledIntervalMs,
      // the backend counts take-overs itself (StoredJob.n) and fails a crash-looping job
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      skipLockRenewal: true,
      skipVersionCheck: true,
    });
    worker.on('error', this.opts.onError);
    void worker.startStalledCheckTimer().catch(this.opts.onError);
    w = { worker, lockMs };
    this.workers.set(lane, w);
    return w;
  }

  /**
   * Closes every worker and queue (the shared client is left to its owner); gives up waiting after
   * `timeoutMs` (default 5 s), so a shutdown while Redis is away does not hang.
   */
  async close(timeoutMs = 5000): Promise<void> {
    const closing = [...[...this.workers.values()].map((w) => w.worker.close(true)), ...[...this.queues.values()].map((q) => q.close())];
    this.workers.clear();
    this.queues.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(closing), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
