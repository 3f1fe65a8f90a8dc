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

export type SyncResult = { ok: true; status: number; headers: Record<string, string>; bodyBase64: string } | { ok: false; error: string };

// node:http/https rather than fetch: https requests must trust the test CA (tls.ts), as Apps Script
// verifies the worker's certificate.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
function one(r) {
  return new Promise((resolve) => {
    const lib = /^https:/i.test(r.url) ? https : http;
    const req = lib.request(r.url, { method: r.method, headers: r.headers, ca: workerData.ca || undefined, timeout: r.timeoutMs, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const headers = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
        resolve({ ok: true, status: res.statusCode, headers, bodyBase64: Buffer.concat(chunks).toString('base64') });
      });
      res.on('error', (e) => resolve({ ok: false, error: String(e.code || e.message) }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (e) => resolve({ ok: false, error: String(e.code || e.message) }));
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}
parentPort.on('message', async ({ requests, port, flag }) => {
  const results = await Promise.all(requests.map(one));
  port.postMessage(results);
  port.close();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

/** One worker thread that performs requests for a blocked caller. `close()` ends it. */
export class SyncHttp {
  private worker: Worker | null = null;
  /** @param ca PEM certificate(s) trusted for https besides none (the test CA, tls.ts) */
  constructor(private readonly ca = '') {}

  /**
   * Sends the requests concurrently and waits for all answers.
   * @throws Error when the helper thread does not answer within the largest timeout + 5 s.
   */
  requestAll(requests: SyncRequest[]): SyncResult[] {
    if (!requests.length) return [];
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ca: this.ca } });
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
