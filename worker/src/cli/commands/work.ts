/**
 * `sheet-archiver work`: the runner and status reporter without the HTTP API (docs/scaling.md).
 * Takes jobs from the shared queue, archives them, writes statuses back. With METRICS_PORT set it
 * also serves GET /metrics on its own listener. SIGTERM/SIGINT stop it gracefully
 * (lifecycle/shutdown.ts).
 */
import { metricsEnabled, startMetricsListener } from '../../metrics/expose.js';
import { ArchiverMetrics } from '../../metrics/registry.js';
import { stopOnSignals } from '../../lifecycle/stopOnSignals.js';
import { createSystem } from '../../system.js';
import { VERSION } from '../../version.js';
import { cliLogger, configWith, UsageError } from '../context.js';

export async function workAction(): Promise<void> {
  const config = configWith({});
  const log = cliLogger('info');
  const e = config.env;
  const metrics = metricsEnabled(e) ? new ArchiverMetrics() : undefined;
  const system = await createSystem({ config, log, ...(metrics ? { metrics } : {}) });
  const metricsListener = metrics
    ? await startMetricsListener(metrics, e, log).catch(async (err: Error) => {
        await system.close();
        throw new UsageError(err.message);
      })
    : null;
  system.reporter.start();
  system.runner.start();
  system.webhooks?.start();
  log.info(
    {
      version: VERSION,
      owner: system.runner.owner,
      storage: system.store.describe(),
      writeBack: system.backend.kind,
      concurrency: e.ARCHIVER_CONCURRENCY,
      shutdownS: e.ARCHIVER_SHUTDOWN_S,
    },
    'sheet-archiver worker running (no HTTP API)',
  );
  process.stderr.write(
    `sheet-archiver ${VERSION} working (storage ${system.store.describe()}, write-back ${system.backend.kind}, ${e.ARCHIVER_CONCURRENCY} jobs at once)\n`,
  );
  if (metricsListener) process.stderr.write(`sheet-archiver metrics on ${metricsListener.url}\n`);
  stopOnSignals({
    system,
    runsJobs: true,
    listeners: metricsListener ? [{ name: 'metrics listener', close: metricsListener.close }] : [],
    log,
  });
}
