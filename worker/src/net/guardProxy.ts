/**
 * A tiny forward HTTP proxy on 127.0.0.1 that every yt-dlp run goes through (`--proxy`), so the
 * host guard applies to every connection yt-dlp makes — redirects, media URLs found in pages,
 * HLS segments — not only to the link in the sheet. Plain `http://` requests are forwarded;
 * `https://` goes through CONNECT tunnels (the proxy never sees the TLS content).
 *
 * A refused destination answers `403 Blocked by archiver host guard`, which yt-dlp reports as
 * `HTTP Error 403: Blocked by archiver host guard` or `Tunnel connection failed: 403 Blocked by
 * archiver host guard`; the yt-dlp error classifier maps both to `validation`.
 */
import { ArchiveError } from '../errors.js';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { checkDestination, type Lookup } from './hostGuard.js';

/** The reason phrase of refusals; the yt-dlp classifier looks for it. */
export const GUARD_REASON = 'Blocked by archiver host guard';

/** Reason phrase when the destination could not be resolved: a network failure, retried. */
export const GUARD_DNS_REASON = 'Archiver host guard: DNS lookup failed';

/**
 * The status a refused connection gets: 403 for a blocked destination (validation, never
 * retried), 502 when DNS failed (yt-dlp reports an HTTP 5xx, classified as network and retried).
 */
function refusal(err: unknown): [number, string] {
  return err instanceof ArchiveError && err.category === 'network' ? [502, GUARD_DNS_REASON] : [403, GUARD_REASON];
}

export interface GuardProxy {
  /** `http://127.0.0.1:PORT`, for `--proxy` */
  url: string;
  /** destinations refused so far, `host:port — reason` */
  refused: string[];
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

export interface GuardProxyOptions {
  allowedHosts: readonly string[];
  log?: Logger;
  lookup?: Lookup;
}

const HOP_HEADERS = new Set([
  'proxy-connection',
  'proxy-authorization',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Starts a guard proxy on 127.0.0.1 with a random port. One per yt-dlp run is cheap (ms) and
 * ties the policy to that run's allow-list.
 */
export async function startGuardProxy(opts: GuardProxyOptions): Promise<GuardProxy> {
  const refused: string[] = [];
  const sockets = new Set<Socket>();

  const refuse = (dest: string, reason: string): void => {
    refused.push(`${dest} — ${reason}`);
    opts.log?.warn({ dest, reason }, 'host guard refused a connection');
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('only absolute http:// URLs are proxied');
    } catch (err) {
      res.writeHead(400, 'Bad proxy request').end();
      return;
    }
    const port = Number(target.port || 80);
    let addr: { address: string };
    try {
      addr = await checkDestination(target.hostname, port, opts.allowedHosts, opts.lookup);
    } catch (err) {
      refuse(target.host, (err as Error).message);
      const [code, reason] = refusal(err);
      res.writeHead(code, reason, { 'content-type': 'text/plain' }).end((err as Error).message);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) headers[k] = v;
    headers['host'] = target.host;
    const up = httpRequest(
      { host: addr.address, port, method: req.method, path: target.pathname + target.search, headers, setHost: false },
      (upRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, 'Bad Gateway').end(String(err.message));
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  };

  const server = createServer((req, res) => void onRequest(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    void (async () => {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(req.url ?? '');
      if (!m) {
        client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      const host = m[1]!;
      const port = Number(m[2]);
      let addr: { address: string };
      try {
        addr = await checkDestination(host, port, opts.allowedHosts, opts.lookup);
      } catch (err) {
        refuse(`${host}:${port}`, (err as Error).message);
        const [code, reason] = refusal(err);
        client.end(`HTTP/1.1 ${code} ${reason}\r\n\r\n`);
        return;
      }
      const upstream = connect(port, addr.address, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
