/**
 * A webhook receiver on 127.0.0.1 (node:http) that checks X-Archiver-Signature the way
 * docs/operations.md#webhooks tells receivers to (HMAC-SHA256 over "<t>.<raw body>", constant-time
 * compare, 5-minute window), records every request, and answers what the test says.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  method: string;
  eventId: unknown;
  type: string;
  deliveryId: string;
  eventHeader: string;
  signatureOk: boolean;
  body: any;
  /** the status the receiver answered */
  answered: number;
}

export interface WebhookReceiver {
  port: number;
  url: (path?: string) => string;
  received: ReceivedHook[];
  /** TCP connections accepted so far (a refused URL must never add one) */
  connections: number;
  /** decides the status of each request (default 200) */
  answer: (h: Omit<ReceivedHook, 'answered'>) => number;
  close(): Promise<void>;
}

/** The docs' check, written independently of the worker's code. */
export function checkSignature(secret: string, header: string | undefined, raw: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m || Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  const got = Buffer.from(m[2]!, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const r: WebhookReceiver = { port: 0, url: () => '', received: [], connections: 0, answer: () => 200, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as null */
      }
      const h = {
        method: req.method ?? '',
        eventId: body?.id,
        type: String(body?.type),
        deliveryId: String(req.headers['x-archiver-delivery'] ?? ''),
        eventHeader: String(req.headers['x-archiver-event'] ?? ''),
        signatureOk: checkSignature(secret, req.headers['x-archiver-signature'] as string | undefined, raw),
        body,
      };
      const status = h.signatureOk ? r.answer(h) : 401;
      r.received.push({ ...h, answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `no (${status})`);
    });
  });
  server.on('connection', () => r.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = (path = '/hook') => `http://127.0.0.1:${r.port}${path}`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}
