/**
 * Adapters from the worker's parts to what graceful shutdown (lifecycle/shutdown.ts) drives: the
 * runner as a Drainable, an HTTP listener as a Closer.
 */
import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Runner } from '../pipeline/runner.js';
import type { Closer, Drainable } from './shutdown.js';

/**
 * The runner as shutdown drives it. Its stop(true) aborts the running jobs and hands each back
 * itself once it has wound down (JobConsumer.release, pipeline/runner.ts), so no `release` here.
 */
export function drainableRunner(runner: Runner): Drainable {
  return {
    stopLeasing: () => void runner.stop(false),
    running: () => runner.runningIds,
    abortAll: () => void runner.stop(true),
  };
}

/** An HTTP listener: stops accepting, lets in-flight requests finish, then drops idle keep-alive connections. */
export function listenerCloser(name: string, server: Server | Http2Server): Closer {
  return {
    name,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve()));
        (server as Server).closeIdleConnections?.();
      }),
  };
}
