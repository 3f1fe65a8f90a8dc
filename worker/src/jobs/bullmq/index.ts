/**
 * The BullMQ/Redis job backend (docs/design.md §6), chosen when REDIS_URL is set; SQLite stays the
 * embedded default. See backend.ts for how the JobBackend contract maps onto BullMQ.
 */
import { BullMqJobBackend, type BullMqBackendOptions } from './backend.js';

export { BullMqJobBackend, type BullMqBackendOptions } from './backend.js';
export { queueNameOf } from './keys.js';

/**
 * Opens the backend on `url` and waits (up to `readyTimeoutMs`, default 10 s) for the connection.
 * With `readyTimeoutMs: 0` it does not wait: calls answer 'unavailable' until Redis is reachable,
 * and the connections keep trying (a worker may start before Redis).
 * @throws QueueError 'invalid_argument' (field `REDIS_URL`) for a malformed URL; 'unavailable'
 *   when Redis does not answer in time (the backend is closed again).
 */
export async function createBullMqBackend(opts: BullMqBackendOptions & { readyTimeoutMs?: number }): Promise<BullMqJobBackend> {
  const { readyTimeoutMs, ...rest } = opts;
  const backend = new BullMqJobBackend(rest);
  if (readyTimeoutMs === 0) return backend;
  try {
    await backend.ready(readyTimeoutMs ?? 10_000);
  } catch (err) {
    await backend.close();
    throw err;
  }
  return backend;
}
