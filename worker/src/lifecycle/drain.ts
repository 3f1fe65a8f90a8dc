/**
 * Adapters from the worker's parts to what graceful shutdown (lifecycle/shutdown.ts) drives: the
 * runner as a Drainable, an HTTP listener as a Closer.
 */
import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Runner } from '../pipeline/runner.js';
import type { Closer, Drainable } from './shutdown.js';

/** The part of JobConsumer (jobs/types.ts) that hands a held job back; the SQLite queue may lack it. */
interface Releasing {
  release?: (jobId: string, owner: string) => Promise<void> | void;
}

/**
 * The runner as shutdown drives it. The runner's stop(true) already hands each aborted job back
 * (JobConsumer.release); `release` here repeats it once the job has wound down, which is a no-op
 * for a job no longer held and covers a hand-back the runner could not make. A queue without
 * release (none today) leaves aborted jobs to their lease.
 */
export function drainableRunner(runner: Runner, queue: object): Drainable {
  const q = queue as Releasing;
  return {
    stopLeasing: () => void runner.stop(false),
    running: () => runner.runningIds,
    abortAll: () => void runner.stop(true),
    ...(typeof q.release === 'function'
      ? { release: async (jobId: string) => void (await q.release!.call(queue, jobId, runner.owner)) }
      : {}),
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
