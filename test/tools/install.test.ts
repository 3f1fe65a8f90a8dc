/**
 * The yt-dlp installer (`npm run setup`, `sheet-archiver update-tools`) against a local HTTP
 * server that serves a fake release the way GitHub's release download URLs do: `<base>/yt-dlp`
 * and `<base>/SHA2-256SUMS` in GNU coreutils format ("<hex>  <name>"; yt-dlp README, "Release
 * Files"), behind a 302 like `releases/latest/download/…`. The "release" is a small script that
 * prints a version. Also: checksum mismatch refused, an unreachable or silent server falls back
 * fast, and setup.sh then says plainly that Debian's yt-dlp is too old for YouTube.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateYtDlp } from '../../worker/src/sources/ytdlp/binary.js';
import { checksumFor, InstallError, installYtDlp } from '../../worker/src/tools/install.js';
import { runCli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const release = (version: string) => `#!/bin/sh\n# fake yt-dlp release\necho ${version}\n`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface FakeRelease {
  base: string;
  /** what the server serves now */
  set(o: { binary?: string; sums?: string; silent?: boolean }): void;
  requests: string[];
  close(): Promise<void>;
}

async function startRelease(): Promise<FakeRelease> {
  let binary = release('2026.08.19');
  let sums: string | undefined;
  let silent = false;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (silent) return; // accepts the connection, never answers
    const m = /^\/latest\/download\/(.+)$/.exec(req.url ?? '');
    if (m) return void res.writeHead(302, { location: `/download/2026.08.19/${m[1]}` }).end();
    if (req.url === '/download/2026.08.19/yt-dlp')
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(binary);
    if (req.url === '/download/2026.08.19/SHA2-256SUMS') {
      const text = sums ?? `${sha('other')}  yt-dlp.exe\n${sha(binary)}  yt-dlp\n${sha('x')}  yt-dlp_linux\n`;
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/latest/download`,
    requests,
    set(o) {
      if (o.binary !== undefined) binary = o.binary;
      sums = o.sums;
      silent = o.silent ?? false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The error an install attempt ended with (a success fails the test). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('installed, but should not have');
    },
    (e: unknown) => e as InstallError,
  );

const tempDir = () => mkdtempSync(join(tmpdir(), 'sa-tools-'));

let rel: FakeRelease;
beforeAll(async () => {
  rel = await startRelease();
});
afterAll(async () => rel?.close());

describe('yt-dlp installer', () => {
  it('reads GNU-style SHA2-256SUMS lines', () => {
    const h = sha('a');
    expect(checksumFor(`${sha('b')}  yt-dlp.exe\n${h}  yt-dlp\n`, 'yt-dlp')).toBe(h);
    expect(checksumFor(`${h.toUpperCase()} *yt-dlp\r\n`, 'yt-dlp')).toBe(h);
    expect(checksumFor(`${h}  yt-dlp_linux\n`, 'yt-dlp')).toBeNull();
  });

  it('installs the release into the tools folder after checking its SHA-256, atomically, executable; then it is current', async () => {
    rel.set({ binary: release('2026.08.19') });
    const dir = join(tempDir(), 'bin');
    const r = await installYtDlp({ releaseUrl: rel.base, dir });
    expect(r).toMatchObject({
      status: 'installed',
      version: '2026.08.19',
      path: join(dir, 'yt-dlp'),
      sha256: sha(release('2026.08.19')),
    });
    expect(readFileSync(join(dir, 'yt-dlp'), 'utf8')).toBe(release('2026.08.19'));
    expect(statSync(join(dir, 'yt-dlp')).mode & 0o111).toBe(0o111);
    expect(readdirSync(dir)).toEqual(['yt-dlp']); // no temp file left
    expect(rel.requests).toContain('/download/2026.08.19/SHA2-256SUMS');

    const again = await installYtDlp({ releaseUrl: rel.base, dir });
    expect(again.status).toBe('current');

    // the worker now runs it: the tools folder comes before PATH, YTDLP_PATH before both
    expect(locateYtDlp({ PATH: process.env['PATH'], ARCHIVER_TOOLS_DIR: dir })).toEqual({
      path: join(dir, 'yt-dlp'),
      origin: 'tools dir',
    });
    expect(locateYtDlp({ PATH: process.env['PATH'], ARCHIVER_TOOLS_DIR: dir, YTDLP_PATH: '/bin/true' })).toEqual({
      path: '/bin/true',
      origin: 'YTDLP_PATH',
    });
    expect(locateYtDlp({ PATH: process.env['PATH'], ARCHIVER_TOOLS_DIR: tempDir() })?.origin).toBe('PATH');
  });

  it('refuses a download that does not match SHA2-256SUMS and keeps the installed binary', async () => {
    const dir = tempDir();
    rel.set({ binary: release('2026.08.19') });
    await installYtDlp({ releaseUrl: rel.base, dir });
    rel.set({ binary: release('6666.06.06') + '# tampered\n', sums: `${sha(release('2026.09.01'))}  yt-dlp\n` });
    const err = await installYtDlp({ releaseUrl: rel.base, dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallError);
    expect((err as InstallError).kind).toBe('checksum');
    expect((err as Error).message).toMatch(/checksum mismatch .*nothing installed/);
    expect(readFileSync(join(dir, 'yt-dlp'), 'utf8')).toBe(release('2026.08.19'));
    expect(readdirSync(dir)).toEqual(['yt-dlp']);
  });

  it('refuses a release whose SHA2-256SUMS does not list yt-dlp', async () => {
    rel.set({ sums: `${sha('x')}  yt-dlp.exe\n` });
    const err = await failure(installYtDlp({ releaseUrl: rel.base, dir: tempDir() }));
    expect(err).toMatchObject({ kind: 'checksum' });
  });

  it('an unreachable release fails fast as unreachable', async () => {
    const t0 = Date.now();
    const err = await failure(installYtDlp({ releaseUrl: `http://127.0.0.1:${await closedPort()}/x`, dir: tempDir() }));
    expect(err).toMatchObject({ kind: 'unreachable' });
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a server that never answers is given up after the connect time-out', async () => {
    rel.set({ silent: true });
    const t0 = Date.now();
    const err = await failure(installYtDlp({ releaseUrl: rel.base, dir: tempDir(), connectTimeoutMs: 500 }));
    rel.set({});
    expect(err).toMatchObject({ kind: 'unreachable' });
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('`sheet-archiver update-tools --json` installs; unreachable exits 1 and changes nothing', async () => {
    rel.set({ binary: release('2026.08.19') });
    const dir = tempDir();
    const ok = await runCli(['update-tools', '--json', '--dir', dir], { ARCHIVER_YTDLP_RELEASE_URL: rel.base });
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout) as {
      ok: boolean;
      status: string;
      version: string;
      runtime: { name: string; found: boolean };
    };
    expect(doc).toMatchObject({ ok: true, status: 'installed', version: '2026.08.19', runtime: { name: 'deno', found: true } });

    const bad = await runCli(['update-tools', '--dir', dir], {
      ARCHIVER_YTDLP_RELEASE_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not installed: cannot reach .*ECONNREFUSED/);
    expect(bad.stderr).toMatch(/nothing changed/);
    expect(readFileSync(join(dir, 'yt-dlp'), 'utf8')).toBe(release('2026.08.19'));
  });
});

/** Runs scripts/setup.sh with Chromium skipped (everything else is installed on the test machines, so apt-get is not run). */
function setup(env: Record<string, string>): Promise<{ code: number; out: string; ms: number }> {
  const t0 = Date.now();
  const e: NodeJS.ProcessEnv = { ...process.env, ARCHIVER_SKIP_CHROMIUM: '1', ...env };
  delete e['YTDLP_PATH'];
  return new Promise((resolve) => {
    const child = spawn('bash', ['scripts/setup.sh'], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, out, ms: Date.now() - t0 }));
  });
}

describe('npm run setup', () => {
  it('installs the current release when it can reach it', async () => {
    rel.set({ binary: release('2026.08.19') });
    const dir = tempDir();
    const r = await setup({ ARCHIVER_TOOLS_DIR: dir, ARCHIVER_YTDLP_RELEASE_URL: rel.base });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/setup: installed yt-dlp 2026\.08\.19 in .*SHA-256 checked/);
    expect(r.out).toMatch(/JavaScript runtime: deno 2\.\d+\.\d+ \(node_modules\)/);
    expect(existsSync(join(dir, 'yt-dlp'))).toBe(true);
  });

  it('falls back to the distribution yt-dlp quickly, exit 0, and says it is too old for YouTube and what to do', async () => {
    const dir = tempDir();
    const r = await setup({ ARCHIVER_TOOLS_DIR: dir, ARCHIVER_YTDLP_RELEASE_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/cannot reach/);
    expect(r.out).toMatch(/TOO OLD FOR YOUTUBE/);
    expect(r.out).toMatch(/update-tools/);
    expect(r.out).toMatch(/docs\/youtube\.md/);
    expect(existsSync(join(dir, 'yt-dlp'))).toBe(false);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('a release that hangs does not hang setup', async () => {
    rel.set({ silent: true });
    try {
      const r = await setup({ ARCHIVER_TOOLS_DIR: tempDir(), ARCHIVER_YTDLP_RELEASE_URL: rel.base });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/timed out/);
      expect(r.ms).toBeLessThan(20_000);
    } finally {
      rel.set({});
    }
  });
});
