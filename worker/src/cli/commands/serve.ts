/**
 * `sheet-archiver serve`: the worker. Accepts signed dispatches, runs jobs from the durable queue,
 * writes statuses back. SIGTERM/SIGINT stop it cleanly; a kill -9 loses nothing (jobs return when
 * their lease expires, status updates wait in the outbox).
 */
import { serve as serveHttp } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseDuration, VerifySchedule } from '../../catalogue/verifySchedule.js';
import { requireSecret } from '../../config/env.js';
import { createApp } from '../../server/app.js';
import { OffSheetBackend } from '../../sheets/off.js';
import { lookup } from '../../storage/lookup.js';
import { createSystem } from '../../system.js';
import { VERSION } from '../../version.js';
import { cliLogger, configWith, UsageError } from '../context.js';

export interface ServeOptions {
  port?: number;
  host?: string;
}

export async function serveAction(o: ServeOptions): Promise<void> {
  const config = configWith({ PORT: o.port, HOST: o.host });
  let secret: string;
  try {
    secret = requireSecret(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = cliLogger('info');
  const system = await createSystem({ config, log });
  const e = config.env;

  if (system.backend instanceof OffSheetBackend) {
    process.stderr.write(`sheet-archiver: ${system.backend.describe()}. Jobs still run and the archive is written; statuses are kept and can be read with GET /v1/jobs.\n`);
  }
  const app = createApp({
    secret,
    queue: system.queue,
    log,
    maxBodyBytes: e.ARCHIVER_MAX_BODY_BYTES,
    startedAt: Date.now(),
    readiness: () => system.readiness(),
    onEnqueued: () => system.runner.wake(),
    abortJob: (jobId) => system.runner.abort(jobId),
    lookup: (key) => lookup(system.store, key, e.ARCHIVER_PREFIX),
    catalogue: { catalogue: system.catalogue, store: system.store },
    events: system.events,
  });

  const server = serveHttp({ fetch: app.fetch, port: e.PORT, hostname: e.HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) => reject(new UsageError(`cannot listen on ${e.HOST}:${e.PORT}: ${(err as Error).message}`)));
  });
  const port = (server.address() as AddressInfo).port;
  system.reporter.start();
  system.runner.start();
  const verifyEvery = e.ARCHIVER_VERIFY_EVERY ? parseDuration(e.ARCHIVER_VERIFY_EVERY) : null;
  const verifier = verifyEvery
    ? new VerifySchedule({ store: system.store, catalogue: system.catalogue, prefix: e.ARCHIVER_PREFIX, log, everyMs: verifyEvery, statePath: join(config.dataDir, 'verify-state.json') })
    : null;
  verifier?.start();
  log.info(
    { version: VERSION, port, storage: system.store.describe(), writeBack: system.backend.kind, google: system.google.kind, concurrency: e.ARCHIVER_CONCURRENCY, allowedHosts: config.allowedHosts },
    'sheet-archiver worker listening',
  );
  process.stderr.write(`sheet-archiver ${VERSION} listening on http://${e.HOST}:${port} (storage ${system.store.describe()}, write-back ${system.backend.kind})\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: running jobs are interrupted and resume on the next start');
    server.close();
    void (verifier?.stop() ?? Promise.resolve())
      .then(() => system.close({ abortRunning: true }))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
