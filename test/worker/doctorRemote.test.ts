/**
 * `sheet-archiver doctor --worker-url`: a real `serve` process behind local TLS-terminating proxies
 * (node:https, as Caddy would be), with certificates made by openssl at test time: a self-signed one
 * (refused unless --insecure), one from a test CA trusted through NODE_EXTRA_CA_CERTS or the `ca`
 * option, and one for another host name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRemoteWorker, checkWorkerUrl } from '../../worker/src/health/remoteWorker.js';
import { runCli, startServe, workerEnv, type ServeProcess } from '../support/cli.js';

const SECRET = 'doctor-remote-test-secret-0123456789';
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let dir: string;
let serve: ServeProcess;
const servers: Server[] = [];
const urls = { selfSigned: '', caSigned: '', otherName: '', plainHttp: '', closed: '' };

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A P-256 key and a certificate for `san`, signed by the test CA. */
function leaf(name: string, san: string): { key: Buffer; cert: Buffer } {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    String(Date.now()),
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)) };
}

/** An https server on 127.0.0.1 that passes every request unchanged to the worker, like `reverse_proxy`. */
async function tlsProxy(tls: { key: Buffer; cert: Buffer }): Promise<string> {
  const target = new URL(serve.baseUrl);
  const server = createHttpsServer(tls, (req, res) => {
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-remote-'));
  serve = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data') }));

  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'self.key',
    '-out',
    'self.crt',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/O=Sheet Archiver Test CA/CN=Sheet Archiver Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);

  urls.selfSigned = await tlsProxy({ key: readFileSync(join(dir, 'self.key')), cert: readFileSync(join(dir, 'self.crt')) });
  urls.caSigned = await tlsProxy(leaf('worker', 'IP:127.0.0.1'));
  urls.otherName = await tlsProxy(leaf('elsewhere', 'DNS:elsewhere.example.org'));
  urls.plainHttp = `https://127.0.0.1:${new URL(serve.baseUrl).port}`;
  const closed = createHttpServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  urls.closed = `https://127.0.0.1:${port}`;
}, 90_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Check = { name: string; ok: boolean; detail: string; hint?: string };
const doctor = async (args: string[], env: Record<string, string> = {}) => {
  const r = await runCli(['doctor', '--json', ...args], env);
  return { ...r, report: JSON.parse(r.stdout) as { ok: boolean; checks: Check[] } };
};
const find = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('the worker URL', () => {
  it('refuses http, a path prefix and a query before connecting', () => {
    expect(checkWorkerUrl('http://archiver.example.org').result).toMatchObject({ ok: false, detail: 'http:// is not https' });
    expect(checkWorkerUrl('https://example.org/archiver').result).toMatchObject({
      ok: false,
      detail: 'the URL has a path (/archiver)',
    });
    expect(checkWorkerUrl('https://example.org/?x=1').result.ok).toBe(false);
    expect(checkWorkerUrl('archiver.example.org').result.ok).toBe(false);
    expect(checkWorkerUrl('https://Archiver.Example.org/').result).toMatchObject({
      ok: true,
      detail: 'https://archiver.example.org',
    });
  });

  it('an http URL fails in the CLI with exit 1 and says why', async () => {
    const r = await doctor(['--worker-url', serve.baseUrl]);
    expect(r.code).toBe(1);
    expect(r.report.checks).toEqual([expect.objectContaining({ name: 'worker url', ok: false, detail: 'http:// is not https' })]);
  });
});

describe('a self-signed certificate', () => {
  it('is refused', async () => {
    const r = await doctor(['--worker-url', urls.selfSigned], { ARCHIVER_SECRET: SECRET });
    expect(r.code).toBe(1);
    const tls = find(r.report.checks, 'worker tls');
    expect(tls).toMatchObject({ ok: false, detail: 'the certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)' });
    expect(tls?.hint).toMatch(/public CA/);
    expect(find(r.report.checks, 'worker signed call')).toBeUndefined();
  });

  it('is accepted with --insecure, with a warning, and the signed call then succeeds', async () => {
    const r = await doctor(['--worker-url', urls.selfSigned, '--insecure'], { ARCHIVER_SECRET: SECRET });
    expect(r.code).toBe(0);
    expect(find(r.report.checks, 'worker tls')?.detail).toMatch(
      /^NOT verified \(--insecure: DEPTH_ZERO_SELF_SIGNED_CERT\); Apps Script will refuse/,
    );
    expect(find(r.report.checks, 'worker healthz')).toMatchObject({ ok: true });
    expect(find(r.report.checks, 'worker signed call')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^signature accepted by GET \/v1\/jobs\/stats; 0 jobs$/),
    });
  });
});

describe('a certificate from a trusted test CA', () => {
  it('passes every check when the CA is trusted through NODE_EXTRA_CA_CERTS, and prints a table', async () => {
    const r = await runCli(['doctor', '--worker-url', urls.caSigned], {
      ARCHIVER_SECRET: SECRET,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/worker tls\s+✔\s+verified; issued by Sheet Archiver Test CA/);
    expect(r.stdout).toMatch(new RegExp(`worker healthz\\s+✔\\s+version ${VERSION.replace(/\./g, '\\.')}, up \\d+ s`));
    expect(r.stdout).toMatch(/worker signed call\s+✔/);
    expect(r.stdout).toContain('All checks passed.');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('is refused when that CA is not trusted', async () => {
    const r = await doctor(['--worker-url', urls.caSigned]);
    expect(r.code).toBe(1);
    expect(find(r.report.checks, 'worker tls')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/issuer is not trusted: a private CA.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/),
    });
  });

  it('a wrong secret is a clear failure, and neither secret is shown', async () => {
    const wrong = 'not-the-worker-secret-9876543210';
    const r = await doctor(['--worker-url', urls.caSigned, '--secret', wrong], {
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'),
      ARCHIVER_SECRET: SECRET,
    });
    expect(r.code).toBe(1);
    expect(find(r.report.checks, 'worker healthz')?.ok).toBe(true);
    expect(find(r.report.checks, 'worker signed call')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^401: wrong secret/),
    });
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('without a secret the signed call is skipped, not failed', async () => {
    const ca = readFileSync(join(dir, 'ca.crt'));
    const checks = await checkRemoteWorker({ url: urls.caSigned, ca });
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['worker url', true],
      ['worker tls', true],
      ['worker healthz', true],
      ['worker signed call', true],
    ]);
    expect(find(checks, 'worker signed call')?.detail).toMatch(/^skipped: no secret/);
  });

  it('clock skew beyond 300 s is named as such', async () => {
    const ca = readFileSync(join(dir, 'ca.crt'));
    const checks = await checkRemoteWorker({ url: urls.caSigned, ca, secret: SECRET, now: () => Date.now() - 1000_000 });
    expect(find(checks, 'worker healthz')?.detail).toMatch(/its clock is \d+ s ahead of this machine's/);
    const signed = find(checks, 'worker signed call');
    expect(signed).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^401: clock skew: signature timestamp is more than 300 s/),
    });
    expect(signed?.hint).toMatch(/NTP/);
  });

  it('a certificate for another host name is refused', async () => {
    const checks = await checkRemoteWorker({ url: urls.otherName, ca: readFileSync(join(dir, 'ca.crt')) });
    expect(find(checks, 'worker tls')).toMatchObject({
      ok: false,
      detail: 'the certificate does not cover this host name (ERR_TLS_CERT_ALTNAME_INVALID)',
    });
  });
});

describe('an unreachable worker', () => {
  it('a closed port says nothing listens', async () => {
    const checks = await checkRemoteWorker({ url: urls.closed });
    expect(find(checks, 'worker reachable')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/nothing accepts connections on that port \(ECONNREFUSED\)$/),
    });
  });

  it('https to a plain-http port says so', async () => {
    const checks = await checkRemoteWorker({ url: urls.plainHttp });
    expect(find(checks, 'worker reachable')?.detail).toMatch(/plain http/);
  });
});

describe('the options docs/deploy.md uses', () => {
  it('--secret and --insecure without --worker-url are a usage error (exit 2)', async () => {
    const r = await runCli(['doctor', '--insecure'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--secret and --insecure go with --worker-url <url>');
  });

  it('doctor --help lists --worker-url, --secret, --insecure and --json', async () => {
    const r = await runCli(['doctor', '--help'], {});
    expect(r.code).toBe(0);
    for (const f of ['--worker-url <url>', '--secret <secret>', '--insecure', '--json']) expect(r.stdout).toContain(f);
    const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    for (const m of docs.matchAll(/sheet-archiver doctor ((?:--[\w-]+(?: [^\s-][^\s]*)? ?)+)/g))
      for (const flag of m[1]!.match(/--[\w-]+/g)!) expect(r.stdout, flag).toContain(flag);
  });
});
