/**
 * The worker's Prometheus metrics (prom-client), all named `sheet_archiver_*`: counters fed by
 * the runner's events, the sources' request hooks and the write-back backend; gauges read from
 * the shared queue at scrape time (collectors.ts); HTTP request metrics (@hono/prometheus); and
 * Node's default process metrics. One registry per worker process.
 *
 * Exposition format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { prometheus } from '@hono/prometheus';
import type { MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { JobRecord } from '../../../shared/schemas.js';
import type { RunnerEvent } from '../pipeline/runner.js';
import type { SheetBackend } from '../sheets/types.js';
import type { ObjectStore } from '../storage/types.js';
import { registerQueueGauges, type QueueGaugeSource } from './collectors.js';
import { countingBackend, countingStore } from './instrument.js';
import { PREFIX } from './names.js';

export { PREFIX } from './names.js';

/** Job durations, seconds: a clip takes seconds, a playlist or a big Drive folder up to the 1 h job limit. */
const DURATION_BUCKETS = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** `outcome` of a finished attempt: the job's status after it. */
const outcomeOf = (job: JobRecord) => job.status;

export class ArchiverMetrics {
  readonly registry = new Registry();
  readonly jobsFinished: Counter<'source' | 'outcome' | 'category'>;
  readonly jobDuration: Histogram<'source' | 'outcome'>;
  readonly retries: Counter<'source'>;
  readonly bytesArchived: Counter<'store'>;
  readonly sheetsWrites: Counter<'backend' | 'outcome'>;
  readonly sheetsUpdates: Counter<'backend' | 'outcome'>;
  readonly ytdlpRuns: Counter<'kind' | 'outcome'>;
  readonly driveRequests: Counter<'method' | 'outcome'>;
  /** jobId → ms since epoch its current attempt started here */
  private readonly started = new Map<string, number>();
  private http: ReturnType<typeof prometheus> | null = null;

  /** @param opts.defaultMetrics collect Node's process metrics (event loop lag, heap, GC, fds); default true */
  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.jobsFinished = new Counter({
      name: `${PREFIX}jobs_finished_total`,
      help: 'Job attempts finished in this worker, by source, outcome (completed, failed, retrying: failed and retried, cancelled) and error category (none on success)',
      labelNames: ['source', 'outcome', 'category'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: `${PREFIX}job_duration_seconds`,
      help: 'Time from the start of a job attempt to its outcome, seconds, by source and outcome',
      labelNames: ['source', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: `${PREFIX}job_retries_total`,
      help: 'Job attempts started after the first (automatic and manual retries), by source',
      labelNames: ['source'],
      registers,
    });
    this.bytesArchived = new Counter({
      name: `${PREFIX}archived_bytes_total`,
      help: 'Bytes written to the object store by jobs (media, subtitles, metadata.json; objects of failed attempts included)',
      labelNames: ['store'],
      registers,
    });
    this.sheetsWrites = new Counter({
      name: `${PREFIX}sheets_write_requests_total`,
      help: 'Status write-back requests (Google: one values:batchUpdate; CSV: one file write), by backend and outcome (ok, error)',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.sheetsUpdates = new Counter({
      name: `${PREFIX}sheets_updates_total`,
      help: 'Row status updates carried by write-back requests, by backend and outcome (written, refused, failed: the request failed and the update is retried)',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.ytdlpRuns = new Counter({
      name: `${PREFIX}ytdlp_runs_total`,
      help: 'yt-dlp runs, by kind (probe: listing, download) and outcome (ok, an error category, aborted, timeout, spawn_error)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.driveRequests = new Counter({
      name: `${PREFIX}drive_requests_total`,
      help: 'Drive v3 API calls through googleapis, by method (files.get, files.list, files.export, about.get) and outcome (ok, an error category, aborted)',
      labelNames: ['method', 'outcome'],
      registers,
    });
  }

  /** Feeds the counters from the runner's events (subscribe with `onEvent`). Never throws. */
  readonly onRunnerEvent = (e: RunnerEvent): void => {
    const { job } = e;
    if (e.type === 'started') {
      this.started.set(job.jobId, Date.now());
      if (job.attempt > 1) this.retries.inc({ source: job.source });
      return;
    }
    if (e.type !== 'finished') return;
    const outcome = outcomeOf(job);
    const category = outcome === 'completed' ? 'none' : (job.error?.category ?? 'none');
    this.jobsFinished.inc({ source: job.source, outcome, category });
    const since = this.started.get(job.jobId);
    this.started.delete(job.jobId);
    if (since !== undefined) this.jobDuration.observe({ source: job.source, outcome }, (Date.now() - since) / 1000);
  };

  /** Counts one yt-dlp run (YtDlpSourceOptions.onRun). */
  readonly ytdlpRun = (r: { kind: 'probe' | 'download'; outcome: string }): void => {
    this.ytdlpRuns.inc({ kind: r.kind, outcome: r.outcome });
  };

  /** Counts one Drive API call (DriveSourceOptions.onApiCall). */
  readonly driveCall = (method: string, outcome: string): void => {
    this.driveRequests.inc({ method, outcome });
  };

  /** Adds the queue gauges (collectors.ts), read from `src` at each scrape. Call once. */
  observeQueue(src: QueueGaugeSource): void {
    registerQueueGauges(this.registry, src);
  }

  /** The write-back backend, counting its requests and the updates they carry. */
  backend(inner: SheetBackend): SheetBackend {
    return countingBackend(inner, this.sheetsWrites, this.sheetsUpdates);
  }

  /** The object store, counting the bytes jobs write to it. */
  store(inner: ObjectStore): ObjectStore {
    return countingStore(inner, this.bytesArchived);
  }

  /**
   * HTTP request metrics of an app (@hono/prometheus: `sheet_archiver_http_requests_total` and
   * `sheet_archiver_http_request_duration_seconds`, by method, status and route). Mount first.
   */
  httpMiddleware(): MiddlewareHandler {
    this.http ??= prometheus({ registry: this.registry, prefix: PREFIX });
    return this.http.registerMetrics;
  }

  /** The exposition text (Prometheus text format 0.0.4) and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
