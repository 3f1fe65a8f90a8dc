/**
 * A stand-in for the worker's `/v1/dispatch`, `/v1/jobs/stats` and `/healthz`, over https, for the add-on tests. It runs its
 * HTTP server in a worker thread, because the add-on's UrlFetchApp blocks the test's thread while
 * it waits (as Apps Script does). It verifies every `/v1/*` signature with node:crypto exactly as
 * design §3 says (HMAC-SHA256 over `<t>.<METHOD>.<path and query>.<raw body>`, |now − t| ≤ 300 s,
 * constant-time compare), answers 202 `{"jobs":[…]}` with one queued job per (row, source with
 * links), and records what it received. Unsigned control routes under `/__control/` let the test
 * read the record and switch behaviour (fail with a status, delay).
 *
 * For the sidebar's per-row panel it also answers `GET /v1/people/:rowId?spreadsheetId=` from the
 * people set with `setPeople` (404 otherwise) and `POST /v1/assets/:assetId/link` with a link signed
 * as the real worker signs it (worker/src/server/contentLinks.ts; shapes as docs/catalogue.md).
 */
import { Agent, request } from 'node:https';
import { Worker } from 'node:worker_threads';
import { testCert } from './tls.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  signatureOk: boolean;
  /** why the signature was refused */
  signatureError: string;
  /** status answered */
  status: number;
}

export type FakeWorkerMode = { kind: 'accept'; jobStatus?: string } | { kind: 'status'; status: number; body: string };

export interface FakeWorker {
  /** base URL, e.g. https://127.0.0.1:41234 (TLS with the test certificate of tls.ts) */
  url: string;
  requests(): Promise<ReceivedRequest[]>;
  setMode(mode: FakeWorkerMode): Promise<void>;
  /** the answers of GET /v1/people/:rowId, by row_id */
  setPeople(people: Record<string, unknown>): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const https = require('node:https');
const crypto = require('node:crypto');
const { secret, toleranceS, prefix, version, key, cert } = workerData;
const started = Date.now();
let mode = { kind: 'accept' };
let people = {};
let received = [];
let n = 0;

function verify(method, pathAndQuery, body, header) {
  if (!header) return 'missing signature';
  let t, v1;
  for (const part of String(header).split(',')) {
    const i = part.indexOf('=');
    const k = part.slice(0, i).trim(), v = part.slice(i + 1).trim();
    if (k === 't' && /^\\d{1,12}$/.test(v)) t = Number(v);
    if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) v1 = v.toLowerCase();
  }
  if (t === undefined || v1 === undefined) return 'malformed signature';
  if (Math.abs(Date.now() / 1000 - t) > toleranceS) return 'stale signature';
  const expected = crypto.createHmac('sha256', secret).update(t + '.' + method + '.' + pathAndQuery + '.' + body, 'utf8').digest();
  const got = Buffer.from(v1, 'hex');
  return crypto.timingSafeEqual(expected, got) ? '' : 'wrong signature';
}

const server = https.createServer({ key, cert }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const send = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }); res.end(typeof obj === 'string' ? obj : JSON.stringify(obj)); return status; };
    const path = req.url;
    if (path === '/__control/requests') return send(200, received);
    if (path === '/__control/reset') { received = []; return send(200, {}); }
    if (path === '/__control/mode') { mode = JSON.parse(body); return send(200, {}); }
    if (path === '/__control/people') { people = JSON.parse(body); return send(200, {}); }
    if (path === prefix + '/healthz') {
      if (mode.kind === 'status') return send(mode.status, mode.body);
      return send(200, { ok: true, version, uptime: (Date.now() - started) / 1000 });
    }
    const rec = { method: req.method, path, headers: req.headers, body, signatureOk: false, signatureError: '', status: 0 };
    received.push(rec);
    const err = verify(req.method, path, body, req.headers['x-archiver-signature']);
    rec.signatureError = err;
    rec.signatureOk = !err;
    if (err) { rec.status = send(401, { error: 'unauthorized', message: err }); return; }
    if (mode.kind === 'status') { rec.status = send(mode.status, mode.body); return; }
    if (req.method === 'GET' && path === prefix + '/v1/jobs/stats') {
      rec.status = send(200, { queued: 0, downloading: 0, completed: n, failed: 0 });
      return;
    }
    if (req.method === 'POST' && path === prefix + '/v1/dispatch') {
      let parsed;
      try { parsed = JSON.parse(body); } catch { rec.status = send(400, { error: 'validation', message: 'body is not JSON' }); return; }
      const jobs = [];
      for (const row of parsed.rows || []) for (const source of ['youtube', 'drive'])
        if ((row[source] || []).length) jobs.push({ jobId: 'j_' + (++n), rowId: row.rowId, source, status: mode.jobStatus || 'queued' });
      rec.status = send(202, { jobs });
      return;
    }
    const person = /^\\/v1\\/people\\/([^/?]+)\\?spreadsheetId=[^&]+$/.exec(path.slice(prefix.length));
    if (req.method === 'GET' && person) {
      const p = people[decodeURIComponent(person[1])];
      rec.status = p ? send(200, p) : send(404, { error: 'not_found', message: 'no person' });
      return;
    }
    const link = /^\\/v1\\/assets\\/(a_[0-9a-f]+)\\/link$/.exec(path.slice(prefix.length));
    if (req.method === 'POST' && link) {
      const content = prefix + '/v1/assets/' + link[1] + '/content';
      const expires = Math.floor(Date.now() / 1000) + 900;
      const sig = crypto.createHmac('sha256', secret).update('GET.' + content + '.' + expires, 'utf8').digest('hex');
      const q = content + '?expires=' + expires + '&sig=' + sig;
      rec.status = send(200, { assetId: link[1], url: 'https://worker.internal' + q, path: q, expires, expiresAt: new Date(expires * 1000).toISOString() });
      return;
    }
    rec.status = send(404, { error: 'not_found' });
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

/**
 * @param opts.secret shared secret; opts.toleranceS clock skew allowed (default 300, as the worker);
 *   opts.prefix path the worker is mounted under (default '').
 */
export async function startFakeWorker(opts: {
  secret: string;
  toleranceS?: number;
  prefix?: string;
  version?: string;
}): Promise<FakeWorker> {
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: {
      secret: opts.secret,
      toleranceS: opts.toleranceS ?? 300,
      prefix: opts.prefix ?? '',
      version: opts.version ?? '0.1.0-test',
      ...testCert(),
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  const base = `https://127.0.0.1:${port}`;
  const agent = new Agent({ ca: testCert().cert });
  const control = (path: string, body?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const req = request(`${base}/__control/${path}`, { method: 'POST', agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return {
    url: base + (opts.prefix ?? ''),
    requests: async () => (await control('requests')) as ReceivedRequest[],
    setMode: async (mode) => void (await control('mode', mode)),
    setPeople: async (people) => void (await control('people', people)),
    reset: async () => void (await control('reset')),
    close: async () => {
      agent.destroy();
      await worker.terminate();
    },
  };
}
