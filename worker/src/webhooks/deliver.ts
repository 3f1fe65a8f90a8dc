/**
 * One webhook POST through the download host guard (net/hostGuard.ts): the destination is
 * checked after DNS resolution and the socket connects to the checked address only (a custom
 * `lookup`), so a name cannot resolve to 10.x or 169.254.169.254 between check and connect.
 * Redirects are not followed (a 3xx is a failed attempt).
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ArchiveError } from '../errors.js';
import { checkDestination, type Lookup } from '../net/hostGuard.js';
import { WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER, signWebhook } from './sign.js';

/** The per-attempt limit (issue 11: 10 s), ms. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface PostResult {
  /** HTTP status; 0 when no answer (refused, timeout, network) */
  status: number;
  /** first 200 characters of the answer, or the error */
  detail: string;
  /** the host guard refused it: nothing was connected to */
  refused?: boolean;
}

export interface PostOptions {
  url: string;
  body: string;
  secret: string;
  eventType: string;
  deliveryId: string;
  allowedHosts: readonly string[];
  timeoutMs?: number;
  lookup?: Lookup;
}

/**
 * Sends one signed POST. Never throws: every outcome is a PostResult.
 */
export async function postWebhook(o: PostOptions): Promise<PostResult> {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    return { status: 0, detail: 'refused: not a valid URL', refused: true };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return { status: 0, detail: `refused: scheme ${u.protocol} is not allowed`, refused: true };
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  let dest: { address: string; family: number };
  try {
    dest = await checkDestination(u.hostname, port, o.allowedHosts, o.lookup);
  } catch (err) {
    const refused = err instanceof ArchiveError && err.category === 'validation';
    return {
      status: 0,
      detail: refused
        ? `refused: ${(err as Error).message} (list its host:port in ARCHIVER_ALLOWED_HOSTS to allow it)`
        : (err as Error).message,
      refused,
    };
  }
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [dest]);
    else cb(null, dest.address, dest.family);
  };
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(o.body)),
    'user-agent': 'sheet-archiver-webhooks',
    [WEBHOOK_SIGNATURE_HEADER]: signWebhook(o.secret, o.body),
    [WEBHOOK_EVENT_HEADER]: o.eventType,
    [WEBHOOK_DELIVERY_HEADER]: o.deliveryId,
  };
  const opts: RequestOptions = { method: 'POST', headers, lookup: pinned, timeout: o.timeoutMs ?? WEBHOOK_TIMEOUT_MS, agent: false };
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve) => {
    const req = send(u, opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (text.length < 200) text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, detail: text.slice(0, 200) }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, detail: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeout} ms`)));
    req.on('error', (err) => resolve({ status: 0, detail: err.message }));
    req.end(o.body);
  });
}
