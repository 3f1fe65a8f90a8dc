/**
 * The composition root: builds the store, queue, status outbox and reporter, sources and runner
 * from the validated configuration. `serve` and `run` both start from here, so both run the same
 * pipeline.
 */
import { resolve } from 'node:path';
import { catalogueTarget, openCatalogueFor } from './catalogue/index.js';
import { crashHookFromEnv, resumeErasures, type EraseDeps } from './catalogue/erase.js';
import type { Catalogue } from './catalogue/repository.js';
import type { JobRecord } from '../../shared/schemas.js';
import type { Config } from './config/env.js';
import { EventBus } from './events/bus.js';
import { JobEvents } from './events/jobEvents.js';
import { SqliteEventLog } from './events/log.js';
import { RedisEventLog } from './events/redisLog.js';
import { ownDir, sweepDeadProcessDirs } from './fs/processDirs.js';
import type { GoogleCredentials } from './google/auth.js';
import { checkDisk, checkFfmpeg, checkStorage, type CheckResult } from './health/checks.js';
import { queueCheck } from './health/queueCheck.js';
import { toolChecks } from './health/tools.js';
import type { Logger } from './log.js';
import type { ArchiverMetrics } from './metrics/registry.js';
import { Runner, type RunnerEvent } from './pipeline/runner.js';
import type Database from 'better-sqlite3';
import { createJobBackend, type JobBackend } from './jobs/index.js';
import { createWriteBudget, openSharedRedis, sheetsAccountName } from './limits/shared.js';
import { SqliteOutbox } from './report/outbox.js';
import { RedisStatusOutbox } from './report/redisOutbox.js';
import { Reporter } from './report/reporter.js';
import { runLogDir } from './runs/ids.js';
import { RunLogs } from './runs/runLogs.js';
import type { Readiness } from './server/app.js';
import { CsvSheetBackend } from './sheets/csv.js';
import { subscribeStatusWriteBack } from './sheets/projector.js';
import { OffSheetBackend } from './sheets/off.js';
import type { SheetBackend, StatusOutbox } from './sheets/types.js';
import { lazySource } from './sources/lazy.js';
import { createYtDlpSource, YtDlpHelperPool } from './sources/ytdlp/index.js';
import { toolConfigFromEnv } from './sources/ytdlp/toolArgs.js';
import { LocalStore } from './storage/local.js';
import { attachMetadataSink } from './storage/metadata.js';
import type { ObjectStore } from './storage/types.js';
import { VERSION } from './version.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface SystemOptions {
  config: Config;
  log: Logger;
  /** write-back target; default from configuration (Google, CSV or off) */
  backend?: SheetBackend;
  /**
   * queue file; default `<ARCHIVER_DATA>/queue.db`. An explicit file is a local run (`run`,
   * `verify --repair`): its jobs stay in that file even with REDIS_URL, for no other worker could
   * write their results back (the CSV, the repair journal).
   */
  queuePath?: string;
  onEvent?: (e: RunnerEvent) => void;
  /** counts jobs, requests and bytes, and reads the queue gauges (metrics/); none when metrics are not exposed */
  metrics?: ArchiverMetrics;
  /**
   * Internal (bench/events-overhead.ts): false leaves out job events and run logs, to measure what
   * they cost. Default true.
   */
  observe?: boolean;
}

/** How long start-up waits for Redis before going on without it, ms. */
const REDIS_READY_WAIT_MS = 10_000;

export interface System {
  config: Config;
  store: ObjectStore;
  /** the job backend: SQLite in queue.db (embedded default), or BullMQ on Redis with REDIS_URL (docs/design.md §6) */
  queue: JobBackend;
  /**
   * queue.db, this worker's own records: the event log, the webhook outbox, the status outbox
   * without REDIS_URL, and the jobs without REDIS_URL.
   */
  db: Database.Database;
  /** in queue.db, or in Redis with REDIS_URL (shared by all workers: docs/design.md §6) */
  outbox: StatusOutbox;
  reporter: Reporter;
  backend: SheetBackend;
  google: GoogleCredentials;
  runner: Runner;
  /** people, assets and sessions (docs/design.md §8), written with every metadata.json */
  catalogue: Catalogue;
  /** job events (docs/design.md §9): the durable log in queue.db and its live bus */
  events: JobEvents;
  /** what erase (catalogue/erase.ts, DELETE /v1/people/…) works on */
  erase: EraseDeps;
  /** the per-run log files and run ids of jobs (runs/runLogs.ts); null only when `observe` is false */
  runLogs: RunLogs | null;
  /** webhook deliveries (docs/design.md §9); null without ARCHIVER_WEBHOOK_URLS. Sends once started. */
  webhooks: WebhookDispatcher | null;
  /** the checks /readyz reports */
  readiness(): Promise<Readiness>;
  /** Stops the runner (aborting running jobs when asked), flushes status updates, closes the queue. */
  close(opts?: { abortRunning?: boolean }): Promise<void>;
}

/**
 * The object store the configuration names. The AWS SDK is loaded only for S3 storage: commands
 * that do not need it start faster.
 */
export async function storeFromConfig(config: Config): Promise<ObjectStore> {
  const e = config.env;
  if (e.ARCHIVER_STORAGE === 's3') {
    const { S3Store } = await import('./storage/s3.js');
    return new S3Store({
      bucket: e.S3_BUCKET!,
      region: e.S3_REGION,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT } : {}),
      ...(e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } }
        : {}),
    });
  }
  return new LocalStore(config.archiveDir);
}

/**
 * Google credentials from the environment; googleapis is loaded only when some are configured.
 */
export async function googleFromConfig(config: Config): Promise<GoogleCredentials> {
  const e = config.env;
  if (!e.GOOGLE_ACCESS_TOKEN && !e.GOOGLE_APPLICATION_CREDENTIALS) return { auth: null, kind: 'none' };
  const { googleCredentials } = await import('./google/auth.js');
  return googleCredentials({
    keyFile: e.GOOGLE_APPLICATION_CREDENTIALS,
    subject: e.GOOGLE_IMPERSONATE_SUBJECT,
    accessToken: e.GOOGLE_ACCESS_TOKEN,
  });
}

/** Where status goes when no backend is passed in: Google when credentials exist, else CSV when configured, else off. */
export async function backendFromConfig(config: Config, google: GoogleCredentials, log: Logger): Promise<SheetBackend> {
  const e = config.env;
  const wantGoogle = e.ARCHIVER_SHEET === 'google' || (e.ARCHIVER_SHEET === 'auto' && google.auth);
  if (wantGoogle) {
    if (!google.auth) return new OffSheetBackend('ARCHIVER_SHEET=google but no Google credentials (set GOOGLE_APPLICATION_CREDENTIALS)');
    const { GoogleSheetsBackend } = await import('./sheets/google.js');
    return new GoogleSheetsBackend({
      auth: google.auth,
      logger: log,
      ...(e.GOOGLE_SHEETS_ROOT_URL ? { rootUrl: e.GOOGLE_SHEETS_ROOT_URL } : {}),
    });
  }
  if (e.ARCHIVER_SHEET === 'csv' || (e.ARCHIVER_SHEET === 'auto' && e.ARCHIVER_CSV))
    return new CsvSheetBackend(e.ARCHIVER_CSV!, { logger: log });
  return new OffSheetBackend();
}

/** Builds every part. Nothing runs until `runner.start()` / `reporter.start()`. */
export async function createSystem(opts: SystemOptions): Promise<System> {
  const { config, log, metrics } = opts;
  const e = config.env;
  const store = await storeFromConfig(config);
  if (store instanceof LocalStore) await store.sweepIncoming();
  // Scratch space of processes that died mid-job (their jobs are re-run whole); live ones keep theirs.
  await sweepDeadProcessDirs(config.workDir);
  const workRoot = await ownDir(config.workDir);

  // Before any job: a metadata.json write left half-done by a stopped process is settled first.
  const catalogue = await openCatalogueFor(store, catalogueTarget(config), log);
  const sessionWrites = new Set<Promise<void>>();
  const recordSession = (e: RunnerEvent): void => {
    // what a run did: the attempts that started and how they ended
    if (e.type !== 'started' && e.type !== 'finished') return;
    const j = e.job;
    const status = e.type === 'started' ? 'downloading' : j.status;
    const p = catalogue
      .recordJob({
        jobId: j.jobId,
        dispatchId: j.dispatchId,
        spreadsheetId: j.spreadsheetId,
        sheetName: j.sheetName,
        rowId: j.rowId,
        source: j.source,
        status,
        options: j.options,
      })
      .catch((err: unknown) => log.warn({ jobId: j.jobId, err: (err as Error).message }, 'catalogue: session not recorded'))
      .finally(() => sessionWrites.delete(p));
    sessionWrites.add(p);
  };

  const local = createJobBackend({ kind: 'sqlite', path: opts.queuePath ?? config.queuePath, laneConcurrency: config.laneConcurrency });
  const db = local.db;
  // With REDIS_URL the jobs, the status outbox and the Sheets write budget are shared by every
  // worker (design §6). The worker starts while Redis is away: calls answer 'unavailable' (the API
  // 503) and the connections keep retrying with backoff until it is back.
  // A local run (an explicit queue file, see queuePath) shares nothing.
  const redisUrl = opts.queuePath ? undefined : e.REDIS_URL;
  const bullmq = redisUrl ? await import('./jobs/bullmq/index.js') : null;
  const shared = bullmq
    ? await bullmq.createBullMqBackend({
        url: redisUrl!,
        laneConcurrency: config.laneConcurrency,
        readyTimeoutMs: 0,
        // a dead holder's job is back about one lease plus two checks later (design §6): checking
        // every quarter lease keeps that near one lease even with a short ARCHIVER_LEASE_S
        stalledIntervalMs: Math.min(5000, Math.max(250, (e.ARCHIVER_LEASE_S * 1000) / 4)),
      })
    : null;
  // Wait a moment for Redis so the first dispatches after start-up are not answered 503; a Redis
  // that stays away does not stop the start (the connections keep retrying).
  if (
    shared &&
    !(await shared.ready(REDIS_READY_WAIT_MS).then(
      () => true,
      () => false,
    ))
  )
    log.warn({ waitedMs: REDIS_READY_WAIT_MS }, 'Redis (REDIS_URL) not reachable yet: dispatch answers 503 until it is');
  const queue: JobBackend = shared ?? local;
  const redis = redisUrl ? openSharedRedis(redisUrl, log) : null;
  const outbox: StatusOutbox = redis ? new RedisStatusOutbox({ redis }) : new SqliteOutbox(db);
  const events = new JobEvents(
    new EventBus(new SqliteEventLog(db), {
      // /v1/events on any worker shows every worker's events (design §6)
      ...(redis
        ? {
            shared: new RedisEventLog({ redis }),
            onSharedError: (err: unknown) => log.warn({ err: (err as Error).message }, 'event not added to the shared log'),
          }
        : {}),
    }),
    { log },
  );
  const webhooks = config.webhooks.length
    ? new WebhookDispatcher({
        endpoints: config.webhooks,
        secret: e.ARCHIVER_WEBHOOK_SECRET!,
        allowedHosts: config.allowedHosts,
        bus: events.bus,
        log,
        retryScale: e.ARCHIVER_RETRY_SCALE,
      })
    : null;
  const observe = opts.observe ?? true;
  // run.finished (docs/design.md §9) when a run's summary line is written
  const runLogs = observe
    ? new RunLogs({
        dir: runLogDir(config.dataDir),
        log,
        maxAgeDays: e.ARCHIVER_RUN_LOGS_MAX_AGE_DAYS,
        maxBytes: e.ARCHIVER_RUN_LOGS_MAX_MB * 1e6,
        onFinished: (s) => events.runFinished(s),
      })
    : null;
  void runLogs?.rotate();
  const google = await googleFromConfig(config);
  const backend = opts.backend ?? (await backendFromConfig(config, google, log));
  const reporter = new Reporter({
    backend: metrics ? metrics.backend(backend) : backend,
    outbox,
    // the budget is Google's write quota: a CSV file has none
    ...(backend.kind === 'google'
      ? {
          budget: createWriteBudget({
            limit: e.ARCHIVER_SHEETS_WRITES_PER_MINUTE,
            account: sheetsAccountName(e.GOOGLE_APPLICATION_CREDENTIALS),
            redis,
          }),
        }
      : {}),
    windowMs: e.ARCHIVER_REPORT_WINDOW_MS,
    logger: log,
    onRefused: (update, outcome) => {
      log.error(
        { rowId: update.rowId, source: update.source, jobId: update.jobId, category: outcome.category, reason: outcome.message },
        'status write refused',
      );
      // a write-back outcome of the job, not a change of its status or error (design §4)
      if (update.jobId)
        queue
          .recordWriteBack(update.jobId, {
            status: 'refused',
            error: { category: 'data_corruption', message: `status not written to the sheet: ${outcome.message}` },
            at: new Date().toISOString(),
          })
          .catch((err: unknown) => log.warn({ jobId: update.jobId, err: (err as Error).message }, 'refused write not recorded on the job'));
    },
  });
  // Subscribers of the job lifecycle events: the status write-back first, then the catalogue's
  // sessions, the metrics and the caller's hook (the CLI's progress bar).
  subscribeStatusWriteBack(events, reporter);
  events.on(recordSession);
  if (runLogs) events.on((ev) => runLogs.onRunnerEvent(ev));
  if (metrics) events.on(metrics.onRunnerEvent);
  if (opts.onEvent) events.on(opts.onEvent);

  const tools = { 'sheet-archiver': VERSION };
  // one idle yt-dlp helper per concurrent job at most (docs/decisions.md: start-up dominated the CPU)
  const helpers = e.ARCHIVER_YTDLP_HELPERS ? new YtDlpHelperPool({ size: e.ARCHIVER_CONCURRENCY, log }) : undefined;
  const sources = {
    youtube: createYtDlpSource({
      allowedHosts: config.allowedHosts,
      tools,
      maxComments: e.ARCHIVER_MAX_COMMENTS,
      toolConfig: toolConfigFromEnv(e),
      channelMax: e.ARCHIVER_CHANNEL_MAX,
      ...(helpers ? { helpers } : {}),
      ...(metrics ? { onRun: metrics.ytdlpRun } : {}),
      ...(e.YTDLP_PATH ? { ytdlpPath: e.YTDLP_PATH } : {}),
    }),
    // googleapis loads on the first Drive job, not at start-up
    drive: lazySource('drive', async () =>
      (await import('./sources/drive/index.js')).createDriveSource({
        auth: google.auth,
        ...(e.GOOGLE_DRIVE_ROOT_URL ? { rootUrl: e.GOOGLE_DRIVE_ROOT_URL } : {}),
        ...(e.GOOGLE_DRIVE_PUBLIC_URL ? { publicDownloadBaseUrl: e.GOOGLE_DRIVE_PUBLIC_URL } : {}),
        ...(e.DRIVE_EXPORT_FORMATS ? { exportFormats: e.DRIVE_EXPORT_FORMATS } : {}),
        acknowledgeAbuse: e.DRIVE_ACKNOWLEDGE_ABUSE,
        maxFiles: e.DRIVE_MAX_FILES,
        maxBytes: e.DRIVE_MAX_BYTES,
        concurrency: e.DRIVE_CONCURRENCY,
        limitNames: { maxFiles: 'DRIVE_MAX_FILES', maxBytes: 'DRIVE_MAX_BYTES' },
        ...(metrics ? { onApiCall: metrics.driveCall } : {}),
      }),
    ),
  };

  const runner = new Runner({
    queue,
    events,
    sources,
    store: runLogs ? runLogs.store(metrics ? metrics.store(store) : store) : metrics ? metrics.store(store) : store,
    prefix: e.ARCHIVER_PREFIX,
    workRoot,
    concurrency: e.ARCHIVER_CONCURRENCY,
    leaseMs: e.ARCHIVER_LEASE_S * 1000,
    jobTimeoutMs: e.ARCHIVER_JOB_TIMEOUT_S * 1000,
    retryScale: e.ARCHIVER_RETRY_SCALE,
    // the stagger spreads yt-dlp start-ups; a helper has none to spread (docs/decisions.md)
    ...(helpers ? { launchGapMs: 50 } : {}),
    log,
    ...(runLogs ? { jobLog: (job: JobRecord) => runLogs.loggerFor(job) } : {}),
  });
  if (metrics) {
    // from the backend: with REDIS_URL every worker reads the same Redis (docs/design.md §6)
    metrics.observeQueue({
      snapshot: (now) => queue.gauges(now),
      outboxSize: () => outbox.size(),
      pausedLanes: () => queue.lanePauses(),
      ...(webhooks ? { webhookBacklog: () => webhooks.backlog() } : {}),
    });
  }

  // The spreadsheets this process writes back to: a `run` (its own CSV backend) only its CSV; a
  // configured backend every Google spreadsheet, and the ARCHIVER_CSV file.
  const csvId = backend instanceof CsvSheetBackend ? `csv:${resolve(backend.path)}` : null;
  const ownsSheet = (id: string): boolean => id === csvId || (!opts.backend && !id.startsWith('csv:'));
  // An erase a stopped process left half done is finished before any job runs (catalogue/erase.ts).
  const erase: EraseDeps = {
    catalogue,
    store,
    queue,
    // the outbox itself: a push that fails fails the erase step, which the journal retries
    outbox,
    prefix: e.ARCHIVER_PREFIX,
    abortJob: (jobId) => runner.abort(jobId),
    onCancelled: (job) => {
      events.cancelled(job);
      runLogs?.cancelled(job.jobId);
    },
    log,
    afterStep: crashHookFromEnv(),
  };
  try {
    await resumeErasures(erase, ownsSheet);
  } catch (err) {
    // journaled: the next start tries again
    log.error({ err: (err as Error).message }, 'an interrupted erase could not be finished yet');
  }

  return {
    config,
    store,
    queue,
    db,
    outbox,
    reporter,
    backend,
    google,
    runner,
    catalogue,
    events,
    erase,
    runLogs,
    webhooks,
    async readiness() {
      const results: CheckResult[] = (
        await Promise.all([toolChecks(e), checkFfmpeg(), checkStorage(store), checkDisk(config.dataDir)])
      ).flat();
      results.push(await queueCheck(queue));
      return {
        ready: results.every((r) => r.ok),
        checks: Object.fromEntries(
          results.map((r) => [r.name, { ok: r.ok, detail: r.detail, ...(r.warning ? { warning: r.warning } : {}) }]),
        ),
      };
    },
    async close({ abortRunning = false } = {}) {
      await runner.stop(abortRunning);
      await helpers?.close();
      await reporter.close();
      await webhooks?.close();
      events.bus.closeAll();
      await queue.close();
      if (queue !== local) await local.close();
      await runLogs?.close();
      await Promise.all([...sessionWrites]);
      attachMetadataSink(store, null);
      await catalogue.close();
      await events.bus.sharedSettled();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
