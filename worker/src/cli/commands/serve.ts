/**
 * `sheet-archiver serve`: the worker. Accepts signed dispatches, runs jobs from the durable queue,
 * writes statuses back; with `--no-runner` the API only (jobs run in `work`). SIGTERM/SIGINT stop it
 * gracefully (lifecycle/shutdown.ts); a kill -9 loses nothing (jobs return when their lease expires,
 * status updates wait in the outbox).
 */
import { serve as serveHttp } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AlertMonitor, parseDuration, reporterFor, ThresholdError } from '../../alerts/index.js';
import { VerifySchedule } from '../../catalogue/verifySchedule.js';
import { requireSecret } from '../../config/env.js';
import { metricsEnabled, mountOnMainApp, startMetricsListener } from '../../metrics/expose.js';
import { ArchiverMetrics } from '../../metrics/registry.js';
import { runLogDir } from '../../runs/ids.js';
import { createApp, type Readiness } from '../../server/app.js';
import { OffSheetBackend } from '../../sheets/off.js';
import { lookup } from '../../storage/lookup.js';
import { listenerCloser } from '../../lifecycle/drain.js';
import { stopOnSignals } from '../../lifecycle/stopOnSignals.js';
import { createSystem } from '../../system.js';
import { VERSION } from '../../version.js';
import { cliLogger, configWith, UsageError } from '../context.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** false (`--no-runner`): API only, runs no jobs; `sheet-archiver work` runs them (docs/scaling.md) */
  runner?: boolean;
}

/** What /readyz answers once SIGTERM arrived. */
const SHUTTING_DOWN: Readiness = { ready: false, checks: { shutdown: { ok: false, detail: 'shutting down' } } };

export async function serveAction(o: ServeOptions): Promise<void> {
  const config = configWith({ PORT: o.port, HOST: o.host });
  let secret: string;
  try {
    secret = requireSecret(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = cliLogger('info');
  const e = config.env;
  const metrics = metricsEnabled(e) ? new ArchiverMetrics() : undefined;
  const system = await createSystem({ config, log, ...(metrics ? { metrics } : {}) });

  if (system.backend instanceof OffSheetBackend) {
    process.stderr.write(
      `sheet-archiver: ${system.backend.describe()}. Jobs still run and the archive is written; statuses are kept and can be read with GET /v1/jobs.\n`,
    );
  }
  let report: ReturnType<typeof reporterFor>;
  try {
    report = reporterFor(system.db, config);
  } catch (err) {
    if (err instanceof ThresholdError) throw new UsageError(err.message);
    throw err;
  }
  // `off` turns the monitor off (the report and `alerts` still work)
  const alertEvery = process.env['ARCHIVER_ALERT_INTERVAL'] ?? '60s';
  const alertIntervalMs = alertEvery === 'off' ? null : parseDuration(alertEvery);
  if (alertIntervalMs === null && alertEvery !== 'off')
    throw new UsageError(`ARCHIVER_ALERT_INTERVAL: "${alertEvery}" is not a duration (like 30s, 1m) or off`);
  // alert.raised / alert.cleared into the event log when an alert's state changes (docs/design.md §9)
  const monitor = new AlertMonitor({
    bus: system.events.bus,
    evaluate: async () => (await report()).alerts,
    log,
    intervalMs: alertIntervalMs ?? 60_000,
  });
  let stopping = false;
  const app = createApp({
    secret,
    queue: system.queue,
    log,
    maxBodyBytes: e.ARCHIVER_MAX_BODY_BYTES,
    startedAt: Date.now(),
    // while shutting down /readyz answers 503: a load balancer sends the next requests elsewhere
    readiness: () => (stopping ? Promise.resolve(SHUTTING_DOWN) : system.readiness()),
    onEnqueued: () => system.runner.wake(),
    // each accepted dispatch is a run (runs/runLogs.ts): its log file, run.finished when its jobs are done
    onDispatched: (req, results) =>
      system.runLogs?.open(
        { runId: req.dispatchId, kind: 'dispatch', spreadsheetId: req.spreadsheetId, sheetName: req.sheetName },
        results.filter((r) => r.created).map((r) => r.job),
        { autoFinish: true, existing: results.filter((r) => !r.created).length },
      ),
    abortJob: (jobId) => {
      const killed = system.runner.abort(jobId);
      // a job cancelled before it ran is finished for its run too
      if (!killed) system.runLogs?.cancelled(jobId);
      return killed;
    },
    lookup: (key) => lookup(system.store, key, e.ARCHIVER_PREFIX),
    catalogue: { catalogue: system.catalogue, store: system.store },
    erase: system.erase,
    events: system.events,
    ...(metrics ? { before: [metrics.httpMiddleware()], routes: (a) => mountOnMainApp(a, metrics, e) } : {}),
    report: (since, sinceMs) => report(since, sinceMs),
    // /ui (docs/dashboard.md); ARCHIVER_WORKER_URL's origin is accepted behind a TLS proxy
    dashboard: process.env['ARCHIVER_WORKER_URL'] ? { publicUrl: process.env['ARCHIVER_WORKER_URL'] } : {},
    runLogDir: runLogDir(config.dataDir),
  });

  const server = serveHttp({ fetch: app.fetch, port: e.PORT, hostname: e.HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) => reject(new UsageError(`cannot listen on ${e.HOST}:${e.PORT}: ${(err as Error).message}`)));
  });
  const port = (server.address() as AddressInfo).port;
  const metricsListener = metrics
    ? await startMetricsListener(metrics, e, log).catch((err: Error) => {
        server.close();
        throw new UsageError(err.message);
      })
    : null;
  system.reporter.start();
  const runsJobs = o.runner !== false;
  if (runsJobs) system.runner.start();
  system.webhooks?.start();
  if (alertIntervalMs !== null) monitor.start();
  const verifyEvery = e.ARCHIVER_VERIFY_EVERY ? parseDuration(e.ARCHIVER_VERIFY_EVERY) : null;
  const verifier = verifyEvery
    ? new VerifySchedule({
        store: system.store,
        catalogue: system.catalogue,
        prefix: e.ARCHIVER_PREFIX,
        log,
        everyMs: verifyEvery,
        statePath: join(config.dataDir, 'verify-state.json'),
      })
    : null;
  verifier?.start();
  log.info(
    {
      version: VERSION,
      port,
      storage: system.store.describe(),
      writeBack: system.backend.kind,
      google: system.google.kind,
      concurrency: runsJobs ? e.ARCHIVER_CONCURRENCY : 0,
      allowedHosts: config.allowedHosts,
      webhooks: config.webhooks.length,
    },
    runsJobs ? 'sheet-archiver worker listening' : 'sheet-archiver API listening (no runner)',
  );
  process.stderr.write(
    `sheet-archiver ${VERSION} listening on http://${e.HOST}:${port} (storage ${system.store.describe()}, write-back ${system.backend.kind}${runsJobs ? '' : ', API only: jobs run in `sheet-archiver work`'})\n`,
  );
  if (metricsListener) process.stderr.write(`sheet-archiver metrics on ${metricsListener.url}\n`);
  else if (metrics) process.stderr.write(`sheet-archiver metrics on http://${e.HOST}:${port}/metrics (bearer token)\n`);

  stopOnSignals({
    system,
    runsJobs,
    listeners: [
      listenerCloser('HTTP API', server as Server),
      ...(metricsListener ? [{ name: 'metrics listener', close: metricsListener.close }] : []),
    ],
    loops: [
      { name: 'alert monitor', close: () => monitor.stop() },
      ...(verifier ? [{ name: 'verify schedule', close: () => verifier.stop() }] : []),
    ],
    log,
    onStopping: () => (stopping = true),
  });
}
