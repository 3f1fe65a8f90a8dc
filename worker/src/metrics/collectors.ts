/**
 * Gauges computed at scrape time (prom-client `collect`): jobs by status and source, queue depth
 * and pause state per lane, the age of the oldest waiting job, and the status outbox and webhook backlogs.
 * The queue counts and lane pauses come from the job backend (the shared queue file, or Redis with
 * REDIS_URL: docs/design.md §6), so every worker on it reports the same values.
 */
import { Gauge, type Registry } from 'prom-client';
import { SOURCES } from '../../../shared/columns.js';
import { JOB_STATUSES } from '../../../shared/schemas.js';
import type { QueueGaugeSnapshot } from '../jobs/readModel.js';
import { PREFIX } from './names.js';

export interface QueueGaugeSource {
  /** the queue's counts now (JobBackend.gauges; asynchronous for BullMQ) */
  snapshot(now: number): QueueGaugeSnapshot | Promise<QueueGaugeSnapshot>;
  /** pending status updates (StatusOutbox.size; asynchronous for the Redis outbox) */
  outboxSize(): number | Promise<number>;
  /** pending webhook deliveries of enabled endpoints (WebhookDispatcher.backlog); absent: no webhooks */
  webhookBacklog?(): number;
  /** lanes paused now for every worker after a rate limit (JobAdmin.lanePauses) */
  pausedLanes(): Promise<readonly { lane: string }[]>;
}

/** Lanes always reported, so a dashboard has a series before the first job. */
const FIXED_LANES = ['youtube', 'drive'];
const laneName = (lane: string) => lane || 'unknown';

/**
 * Registers the queue gauges on `registry`. One snapshot serves every gauge of one scrape.
 * @param clock ms since epoch (tests)
 */
export function registerQueueGauges(registry: Registry, src: QueueGaugeSource, clock: () => number = Date.now): void {
  const registers = [registry];
  // prom-client collects each metric in turn: the first gauge takes the snapshot, the others reuse it.
  let cached: Promise<{ at: number; snap: QueueGaugeSnapshot; paused: string[] }> | null = null;
  let cachedAt = 0;
  // Every lane seen keeps its series (at 0 once drained) rather than vanishing; lanes are bounded
  // by YouTube, Drive and ARCHIVER_ALLOWED_HOSTS.
  const lanes = new Set(FIXED_LANES);
  const current = () => {
    const now = clock();
    if (!cached || now - cachedAt > 250) {
      cachedAt = now;
      cached = Promise.all([src.snapshot(now), src.pausedLanes()]).then(([snap, pauses]) => {
        for (const r of snap.depthByLane) lanes.add(laneName(r.lane));
        const paused = pauses.map((p) => p.lane);
        for (const lane of paused) lanes.add(lane);
        return { at: now, snap, paused };
      });
    }
    return cached;
  };

  new Gauge({
    name: `${PREFIX}jobs`,
    help: 'Jobs in the queue by status and source (shared queue: the same on every worker)',
    labelNames: ['status', 'source'],
    registers,
    async collect() {
      cached = null; // first gauge of a scrape: fresh numbers
      const { snap } = await current();
      for (const status of JOB_STATUSES) for (const source of SOURCES) this.set({ status, source }, 0);
      for (const r of snap.jobs) this.set({ status: r.status, source: r.source }, r.n);
    },
  });

  new Gauge({
    name: `${PREFIX}queue_depth`,
    help: 'Jobs waiting to run (queued or retrying) by lane',
    labelNames: ['lane'],
    registers,
    async collect() {
      const { snap } = await current();
      for (const lane of lanes) this.set({ lane }, 0);
      for (const r of snap.depthByLane) this.set({ lane: laneName(r.lane) }, r.n);
    },
  });

  new Gauge({
    name: `${PREFIX}lane_paused`,
    help: 'Whether a lane is paused for every worker after a rate limit (1) or not (0)',
    labelNames: ['lane'],
    registers,
    async collect() {
      const { paused } = await current();
      for (const lane of lanes) this.set({ lane }, 0);
      for (const lane of paused) this.set({ lane }, 1);
    },
  });

  new Gauge({
    name: `${PREFIX}oldest_queued_job_age_seconds`,
    help: 'How long the longest-waiting runnable job (queued, or retrying and due) has waited, seconds; 0 when none waits',
    registers,
    async collect() {
      const { at, snap } = await current();
      this.set(snap.oldestWaitingSince === null ? 0 : Math.max(0, (at - snap.oldestWaitingSince) / 1000));
    },
  });

  new Gauge({
    name: `${PREFIX}outbox_backlog`,
    help: 'Status updates waiting in the outbox to be written to the sheet',
    registers,
    // prom-client awaits an asynchronous collect
    async collect() {
      this.set(await src.outboxSize());
    },
  });

  new Gauge({
    name: `${PREFIX}webhook_backlog`,
    help: 'Webhook deliveries waiting to be sent (or retried) to enabled endpoints',
    registers,
    collect() {
      this.set(src.webhookBacklog?.() ?? 0);
    },
  });
}
