/**
 * The worker's Hono app for tests and benches, with the dependencies every one of them sets the
 * same way filled in (silent log, 1 MiB body limit, always ready); `deps` give the rest and win.
 */
import { createApp, type AppDeps } from '../../worker/src/server/app.js';
import { silentLogger } from '../../worker/src/log.js';

export function testApp(deps: Pick<AppDeps, 'secret' | 'queue'> & Partial<AppDeps>): ReturnType<typeof createApp> {
  return createApp({
    log: silentLogger,
    maxBodyBytes: 1 << 20,
    startedAt: Date.now(),
    readiness: async () => ({ ready: true, checks: {} }),
    ...deps,
  });
}
