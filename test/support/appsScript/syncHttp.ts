/**
 * Synchronous HTTP for the UrlFetchApp stand-in: the requests run with `fetch` in a worker thread
 * while the calling thread waits in `Atomics.wait`, then reads the answer with
 * `receiveMessageOnPort`. The calling thread's event loop is blocked meanwhile, exactly as an
 * Apps Script execution blocks: servers the add-on talks to must run in another thread or process.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface SyncRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** request body as UTF-8 text, or base64 when bodyBase64 */
  body?: string;
  followRedirects: boolean;
  timeoutMs: number;
}

export type SyncResult =
  | { ok: true; status: number; headers: Record<string, string>; bodyBase64: string }
  | { ok: false; error: string };

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ requests, port, flag }) => {
  const results = await Promise.all(requests.map(async (r) => {
    try {
      const res = await fetch(r.url, {
        method: r.method, headers: r.headers, body: r.body === undefined ? undefined : r.body,
        redirect: r.followRedirects ? 'follow' : 'manual', signal: AbortSignal.timeout(r.timeoutMs),
      });
      const buf = Buffer.from(await res.arrayBuffer());
      const headers = {};
      res.headers.forEach((v, k) => { headers[k] = v; });
      return { ok: true, status: res.status, headers, bodyBase64: buf.toString('base64') };
    } catch (e) {
      const c = e && e.cause;
      return { ok: false, error: String((c && (c.code || c.message)) || (e && e.name === 'TimeoutError' ? 'timeout' : e && e.message) || e) };
    }
  }));
  port.postMessage(results);
  port.close();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

/** One worker thread that performs requests for a blocked caller. `close()` ends it. */
export class SyncHttp {
  private worker: Worker | null = null;

  /**
   * Sends the requests concurrently and waits for all answers.
   * @throws Error when the helper thread does not answer within the largest timeout + 5 s.
   */
  requestAll(requests: SyncRequest[]): SyncResult[] {
    if (!requests.length) return [];
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true });
      this.worker.unref();
    }
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ requests, port: port2, flag }, [port2]);
    const limit = Math.max(...requests.map((r) => r.timeoutMs)) + 5000;
    const waited = Atomics.wait(flag, 0, 0, limit);
    const msg = receiveMessageOnPort(port1);
    port1.close();
    if (!msg) throw new Error(`sync HTTP helper gave no answer (${waited})`);
    return msg.message as SyncResult[];
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
