/**
 * An https front for a local http server — what Caddy, Cloud Run or a tunnel is for a deployed
 * worker (docs/deploy.md) — so the add-on in the vm, which may only call https URLs under its
 * urlFetchWhitelist, can reach a real `sheet-archiver serve`. Runs in a worker thread: the add-on's
 * UrlFetchApp blocks the test's thread while it waits, as an Apps Script execution blocks.
 * Serves the test certificate of tls.ts; passes method, path, headers and body through unchanged
 * (the signature covers the path and body).
 */
import { Worker } from 'node:worker_threads';
import { testCert } from './tls.js';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const https = require('node:https');
const http = require('node:http');
const { key, cert, target } = workerData;
const server = https.createServer({ key, cert }, (req, res) => {
  const up = http.request(target + req.url, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (r) => {
    res.writeHead(r.statusCode || 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502, { 'content-type': 'text/plain' }); res.end(String(e.message)); });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

export interface TlsProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/** Starts an https proxy to `target` (e.g. http://127.0.0.1:8080). */
export async function startTlsProxy(target: string): Promise<TlsProxy> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { ...testCert(), target: target.replace(/\/+$/, '') } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return { url: `https://127.0.0.1:${port}`, close: async () => void (await worker.terminate()) };
}
