/**
 * `sheet-archiver doctor --worker-url URL`: checks a deployed worker the way the add-on will reach it.
 * Apps Script's UrlFetchApp calls it from Google's servers, over https only, with a certificate from a
 * public CA, without following redirects (docs/deploy.md). So this checks, in order:
 *   1. the URL: https, at the root of its host (the add-on signs the exact path, design §3);
 *   2. TLS: the certificate chain and host name verify (unless `insecure`);
 *   3. `GET /healthz`: 200 with the service name and version, and the worker's clock (Date header);
 *   4. given the secret, a signed `GET /v1/jobs/stats` succeeds (401 says wrong secret or clock skew).
 * Each result says what was found and, on failure, what to do. The secret never appears in a result.
 */
import { request } from 'node:https';
import { rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_S } from '../../../shared/signature.js';
import { signRequest } from '../server/signature.js';
import { VERSION } from '../version.js';
import type { CheckResult } from './checks.js';

export interface RemoteWorkerOptions {
  /** the worker's public URL, e.g. `https://archiver.example.org` */
  url: string;
  /** ARCHIVER_SECRET of that worker; without it the signed check is skipped */
  secret?: string;
  /** skip certificate verification (a self-signed test deployment); Apps Script itself never does */
  insecure?: boolean;
  /** extra trusted CA certificates (PEM), added to Node's roots; NODE_EXTRA_CA_CERTS works too */
  ca?: string | Buffer;
  /** per-request timeout, ms (default 15 000) */
  timeoutMs?: number;
  /** the local clock, ms since epoch (tests shift it to simulate skew) */
  now?: () => number;
}

/** The signed endpoint used: cheap (one aggregate query), read-only, GET (empty body). */
export const SIGNED_PROBE_PATH = '/v1/jobs/stats';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  cert: PeerCertificate | null;
  authorized: boolean;
  authorizationError: string | null;
}

/** TLS verification error codes (OpenSSL's, as Node reports them) → what they mean to a person. */
const CERT_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is issued by a CA that is not trusted (or the chain is incomplete)',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate chain is incomplete (the server does not send the intermediate certificate)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "the certificate's issuer is not trusted: a private CA, or the server does not send the intermediate certificate",
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: "the certificate is not valid yet (check this machine's clock too)",
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not cover this host name',
  CERT_REVOKED: 'the certificate was revoked',
};

const NET_ERRORS: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved right now (DNS)',
  ECONNREFUSED: 'nothing accepts connections on that port',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPROTO: 'the TLS handshake failed (is that port serving plain http?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the TLS handshake failed: that port serves plain http, not https',
};

function errorCode(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === 'EPROTO' && /wrong version number/i.test(e.message ?? '')) return 'ERR_SSL_WRONG_VERSION_NUMBER';
  return e.code ?? 'unknown';
}

/** One GET over https; resolves with the answer, rejects with the socket or TLS error. Never follows redirects. */
function get(url: URL, path: string, o: RemoteWorkerOptions, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: 'https:',
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': `sheet-archiver-doctor/${VERSION}`, ...headers },
        rejectUnauthorized: !o.insecure,
        ...(o.ca ? { ca: [...rootCertificates, o.ca.toString()] } : {}),
        agent: false,
        timeout: o.timeoutMs ?? 15_000,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const cert = socket.getPeerCertificate?.() ?? null;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 65_536) body += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            cert: cert && Object.keys(cert).length > 0 ? cert : null,
            authorized: socket.authorized,
            authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${o.timeoutMs ?? 15_000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Checks the worker URL as the add-on will use it.
 * @returns `{ url, error }`: the parsed URL, or why it cannot work (not https, a path prefix, a query).
 */
export function checkWorkerUrl(raw: string): { url: URL | null; result: CheckResult } {
  const name = 'worker url';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return {
      url: null,
      result: { name, ok: false, detail: `"${raw}" is not a URL`, hint: 'give the full URL, e.g. https://archiver.example.org' },
    };
  }
  if (url.protocol !== 'https:')
    return {
      url: null,
      result: {
        name,
        ok: false,
        detail: `${url.protocol}// is not https`,
        hint: 'Apps Script fetches only https URLs listed in urlFetchWhitelist: put the worker behind https (docs/deploy.md)',
      },
    };
  if (url.username || url.password)
    return {
      url: null,
      result: { name, ok: false, detail: 'the URL carries a user name or password', hint: 'drop the credentials from the URL' },
    };
  if (url.search || url.hash)
    return {
      url: null,
      result: {
        name,
        ok: false,
        detail: 'the URL has a query or fragment',
        hint: 'use the bare origin, e.g. https://archiver.example.org',
      },
    };
  if (url.pathname !== '/')
    return {
      url: null,
      result: {
        name,
        ok: false,
        detail: `the URL has a path (${url.pathname})`,
        hint: 'serve the worker at the root of its own host name: its routes and signatures cover /healthz and /v1/… exactly (docs/deploy.md)',
      },
    };
  return { url, result: { name, ok: true, detail: url.origin } };
}

function describeCert(cert: PeerCertificate | null): string {
  if (!cert) return 'no certificate details';
  const cn = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : '');
  const issuer = cn(cert.issuer?.O) || cn(cert.issuer?.CN) || 'unknown issuer';
  return `issued by ${issuer}, valid until ${new Date(cert.valid_to).toISOString().slice(0, 10)}`;
}

/** Seconds the worker's clock is ahead of ours (negative: behind), from the HTTP Date header; null when absent. */
function clockSkewS(headers: Answer['headers'], localMs: number): number | null {
  const d = headers['date'];
  const t = typeof d === 'string' ? Date.parse(d) : NaN;
  return Number.isFinite(t) ? Math.round((t - localMs) / 1000) : null;
}

/**
 * Runs the checks against a deployed worker.
 * @returns one CheckResult per step; a step whose prerequisite failed is not run. Never throws for
 *   network, TLS or HTTP failures: they become failed results.
 */
export async function checkRemoteWorker(o: RemoteWorkerOptions): Promise<CheckResult[]> {
  const now = o.now ?? Date.now;
  const { url, result: urlResult } = checkWorkerUrl(o.url);
  const out: CheckResult[] = [urlResult];
  if (!url) return out;

  // 2 + 3: one request to /healthz shows the TLS outcome and the health answer.
  let health: Answer;
  try {
    health = await get(url, '/healthz', o);
  } catch (err) {
    const code = errorCode(err);
    if (CERT_ERRORS[code])
      out.push({
        name: 'worker tls',
        ok: false,
        detail: `${CERT_ERRORS[code]} (${code})`,
        hint: "Apps Script accepts only certificates from a public CA: use Caddy or Let's Encrypt (docs/deploy.md); --insecure skips this check for a test deployment",
      });
    else
      out.push({
        name: 'worker reachable',
        ok: false,
        detail: `${url.host}: ${NET_ERRORS[code] ?? (err as Error).message} (${code})`,
        hint: 'check that the worker runs, that the proxy or tunnel is up, and that the firewall lets https in',
      });
    return out;
  }
  out.push(
    o.insecure && !health.authorized
      ? {
          name: 'worker tls',
          ok: true,
          detail: `NOT verified (--insecure: ${health.authorizationError ?? 'unverified'}); Apps Script will refuse this certificate`,
        }
      : { name: 'worker tls', ok: true, detail: `verified; ${describeCert(health.cert)}` },
  );

  if (health.status >= 300 && health.status < 400) {
    out.push({
      name: 'worker healthz',
      ok: false,
      detail: `GET /healthz answers ${health.status} → ${String(health.headers['location'] ?? '?')}`,
      hint: 'the add-on does not follow redirects: give the final URL, and make the proxy pass /healthz and /v1/… unchanged',
    });
    return out;
  }
  type Health = { status?: unknown; service?: unknown; version?: unknown; uptimeS?: unknown };
  let parsed: Health | null;
  try {
    const v: unknown = JSON.parse(health.body);
    parsed = v && typeof v === 'object' ? (v as Health) : null;
  } catch {
    parsed = null;
  }
  if (health.status !== 200 || !parsed || parsed.service !== 'sheet-archiver' || typeof parsed.version !== 'string') {
    out.push({
      name: 'worker healthz',
      ok: false,
      detail: `GET /healthz answers ${health.status}${parsed ? '' : ', not JSON'}${parsed && parsed.service !== 'sheet-archiver' ? ', not from sheet-archiver' : ''}: ${health.body.replace(/\s+/g, ' ').slice(0, 120)}`,
      hint: 'this URL does not reach a sheet-archiver worker: check the proxy target (docs/deploy.md)',
    });
    return out;
  }
  const skew = clockSkewS(health.headers, now());
  const skewNote =
    skew !== null && Math.abs(skew) > 60 ? `; its clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this machine's` : '';
  out.push({
    name: 'worker healthz',
    ok: true,
    detail: `version ${parsed.version}${typeof parsed.uptimeS === 'number' ? `, up ${parsed.uptimeS} s` : ''}${parsed.version !== VERSION ? ` (this CLI is ${VERSION})` : ''}${skewNote}`,
  });

  // 4: a signed call.
  if (!o.secret) {
    out.push({
      name: 'worker signed call',
      ok: true,
      detail: 'skipped: no secret (pass --secret or set ARCHIVER_SECRET to check it)',
    });
    return out;
  }
  let signed: Answer;
  try {
    const t = Math.floor(now() / 1000);
    signed = await get(url, SIGNED_PROBE_PATH, o, { [SIGNATURE_HEADER]: signRequest(o.secret, 'GET', SIGNED_PROBE_PATH, '', t) });
  } catch (err) {
    out.push({
      name: 'worker signed call',
      ok: false,
      detail: `GET ${SIGNED_PROBE_PATH}: ${(err as Error).message}`,
      hint: 'the worker answered /healthz but not /v1/…: check the proxy',
    });
    return out;
  }
  if (signed.status === 200) {
    let total = '';
    try {
      const s = JSON.parse(signed.body) as { total?: unknown };
      if (typeof s.total === 'number') total = `; ${s.total} jobs`;
    } catch {
      /* the status is what counts */
    }
    out.push({ name: 'worker signed call', ok: true, detail: `signature accepted by GET ${SIGNED_PROBE_PATH}${total}` });
    return out;
  }
  let message = '';
  try {
    message = String((JSON.parse(signed.body) as { message?: unknown }).message ?? '');
  } catch {
    message = signed.body.replace(/\s+/g, ' ').slice(0, 120);
  }
  if (signed.status === 401 && /from the worker's clock/.test(message))
    out.push({
      name: 'worker signed call',
      ok: false,
      detail: `401: clock skew: ${message}${skew !== null ? ` (the worker's clock is ${skew} s off this machine's)` : ''}`,
      hint: `signatures are valid for ±${SIGNATURE_TOLERANCE_S} s: turn on NTP on the worker (and here): timedatectl set-ntp true`,
    });
  else if (signed.status === 401 && /does not match/.test(message))
    out.push({
      name: 'worker signed call',
      ok: false,
      detail: '401: wrong secret: the worker does not accept this secret (signature does not match)',
      hint: "use the worker's ARCHIVER_SECRET exactly; if it is right, a proxy changes the path, query or body on the way",
    });
  else if (signed.status === 401)
    out.push({
      name: 'worker signed call',
      ok: false,
      detail: `401: ${message}`,
      hint: 'a proxy may drop the X-Archiver-Signature header: let it through',
    });
  else
    out.push({
      name: 'worker signed call',
      ok: false,
      detail: `GET ${SIGNED_PROBE_PATH} answers ${signed.status}: ${message}`,
      hint: signed.status === 404 ? 'the proxy does not pass /v1/… to the worker' : "see the worker's log",
    });
  return out;
}
