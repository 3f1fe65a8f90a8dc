/**
 * A small HTTP proxy in front of s3rver that makes S3 writes fail (issue 9: "S3 answering 500 to
 * 20–45 % of writes"), and keeps the books on multipart uploads, which s3rver cannot list.
 *
 * - A share `failRate` of write requests (PUT, POST) is answered `500 InternalError`, S3's error
 *   body (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Half of those fail
 *   *after* s3rver did the write (the answer was lost: the object exists, the client thinks it does
 *   not), half before. CreateMultipartUpload only ever fails before: a lost answer to it leaves an
 *   upload nobody knows the id of, which only the bucket's lifecycle rule can remove
 *   (docs/storage.md); no client can do better, so the test does not ask it to.
 * - AbortMultipartUpload (`DELETE …?uploadId=`) is answered here with 204, as S3 does
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html): s3rver 3.7
 *   answers it 405, and ListMultipartUploads `NotImplemented`, so the proxy's log is the record of
 *   which uploads were started (the UploadId in CreateMultipartUpload's answer), completed
 *   (a 200 to CompleteMultipartUpload) and aborted. `openUploads()` is what ListMultipartUploads
 *   would list.
 * - `failOnly` narrows the faults to one kind of request (e.g. every CompleteMultipartUpload).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3WriteKind = 'put' | 'part' | 'create' | 'complete' | 'other';

export interface FaultyProxyOptions {
  /** s3rver's endpoint, `http://127.0.0.1:<port>` */
  target: string;
  /** 0…1, share of writes that fail; default 0.45 */
  failRate?: number;
  /** PRNG seed, so a run can be repeated */
  seed?: number;
  /** only these kinds fail (default: every write) */
  failOnly?: S3WriteKind[];
}

export interface FaultyProxy {
  endpoint: string;
  /** writes answered 500, by kind */
  failed: Record<S3WriteKind, number>;
  /** writes forwarded and answered by s3rver */
  forwarded: number;
  /** every AbortMultipartUpload received: bucket key and upload id */
  aborts: { key: string; uploadId: string }[];
  /** multipart uploads started and neither completed nor aborted: bucket key → upload ids */
  openUploads(): { key: string; uploadId: string }[];
  /** every upload id ever started */
  startedUploads(): number;
  close(): Promise<void>;
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function kindOf(method: string, q: URLSearchParams): S3WriteKind | null {
  if (method === 'PUT') return q.has('uploadId') ? 'part' : q.has('tagging') ? 'other' : 'put';
  if (method === 'POST') return q.has('uploads') ? 'create' : q.has('uploadId') ? 'complete' : 'other';
  return null;
}

function internalError(res: ServerResponse): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>' +
    '<Message>We encountered an internal error. Please try again.</Message><RequestId>faulty-proxy</RequestId></Error>';
  res.writeHead(500, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the proxy on 127.0.0.1:<free port>. */
export async function startFaultyS3Proxy(opts: FaultyProxyOptions): Promise<FaultyProxy> {
  const target = new URL(opts.target);
  const rnd = prng(opts.seed ?? 45);
  const failRate = opts.failRate ?? 0.45;
  const failed: Record<S3WriteKind, number> = { put: 0, part: 0, create: 0, complete: 0, other: 0 };
  const started = new Map<string, string>(); // uploadId → bucket key
  const done = new Set<string>();
  const aborts: { key: string; uploadId: string }[] = [];
  let forwarded = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, after?: (status: number, body: Buffer) => boolean): void => {
    const headers = { ...req.headers };
    delete headers['expect'];
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (ures) => {
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        forwarded++;
        const ubody = Buffer.concat(chunks);
        if (after && !after(ures.statusCode ?? 0, ubody)) return internalError(res);
        const h = { ...ures.headers };
        delete h['transfer-encoding'];
        h['content-length'] = String(ubody.length);
        res.writeHead(ures.statusCode ?? 502, h);
        res.end(ubody);
      });
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const key = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      const method = req.method ?? '';
      if (method === 'DELETE' && url.searchParams.has('uploadId')) {
        const uploadId = url.searchParams.get('uploadId')!;
        aborts.push({ key, uploadId });
        if (!started.has(uploadId) || done.has(uploadId)) {
          const xml =
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
          res.writeHead(404, { 'content-type': 'application/xml' }).end(xml);
          return;
        }
        done.add(uploadId);
        res.writeHead(204).end();
        return;
      }
      const kind = kindOf(method, url.searchParams);
      const eligible = kind !== null && (!opts.failOnly || opts.failOnly.includes(kind));
      const fail = eligible && rnd() < failRate;
      const afterWrite = fail && kind !== 'create' && rnd() < 0.5;
      if (fail && !afterWrite) {
        failed[kind!]++;
        return internalError(res);
      }
      forward(req, res, body, (status, ubody) => {
        if (kind === 'create' && status === 200) {
          const id = /<UploadId>([^<]+)<\/UploadId>/.exec(ubody.toString('utf8'))?.[1];
          if (id) started.set(id, key);
        }
        if (kind === 'complete' && status === 200) done.add(url.searchParams.get('uploadId') ?? '');
        if (afterWrite) {
          failed[kind!]++;
          return false;
        }
        return true;
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failed,
    get forwarded() {
      return forwarded;
    },
    aborts,
    openUploads: () => [...started].filter(([id]) => !done.has(id)).map(([uploadId, key]) => ({ key, uploadId })),
    startedUploads: () => started.size,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
