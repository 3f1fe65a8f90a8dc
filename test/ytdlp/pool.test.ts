/**
 * The yt-dlp helper pool (issue 7 item 10) with Debian's real yt-dlp (imported by /usr/bin/python3)
 * and ffmpeg, on media served from 127.0.0.1: helpers are reused, runs through them archive the
 * same as spawned runs, cancel kills the helper's whole group (downloads and ffmpeg), and a yt-dlp
 * that is not a Python program is left to be spawned.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYtDlpSource, findYtDlp, pythonOf, YtDlpHelperPool } from '../../worker/src/sources/ytdlp/index.js';
import { DEFAULT_TOOL_CONFIG } from '../../worker/src/sources/ytdlp/toolArgs.js';
import { groupAlive } from '../../worker/src/sources/ytdlp/process.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { makeCtx, processesMatching } from './helpers.js';

let host: MediaHost;
let pool: YtDlpHelperPool;
const ytdlp = findYtDlp()!;

beforeAll(async () => {
  host = await startMediaHost({ clipCount: 3, clipSeconds: 1, playlistSize: 3, slowChunkBytes: 8192 });
  pool = new YtDlpHelperPool({ size: 2 });
});
afterAll(async () => {
  await pool?.close();
  await host?.close();
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = () => mkdtempSync(join(tmpdir(), 'sa-pool-'));
const inGroup = (pgid: number) => processesMatching('').filter((l) => l.trim().split(/\s+/)[1] === String(pgid));

describe('yt-dlp helper pool', () => {
  it('finds the Python of a yt-dlp script, and nothing for other programs', () => {
    expect(pythonOf(ytdlp)).toMatch(/python3/);
    const sh = join(dir(), 'yt-dlp');
    writeFileSync(sh, '#!/bin/sh\necho 2099.01.01\n');
    chmodSync(sh, 0o755);
    expect(pythonOf(sh)).toBeNull();
    expect(pythonOf('/nonexistent/yt-dlp')).toBeNull();
    // a Python wrapper with logic of its own (a stand-in that records its argv) must run as itself
    const wrapper = join(dir(), 'yt-dlp');
    writeFileSync(
      wrapper,
      '#!/usr/bin/python3\nimport subprocess, sys\nopen("/tmp/argv", "w").write(repr(sys.argv))\nsys.exit(subprocess.call(["/usr/bin/yt-dlp", *sys.argv[1:]]))\n',
    );
    chmodSync(wrapper, 0o755);
    expect(pythonOf(wrapper)).toBeNull();
  });

  it('runs yt-dlp argv in a helper, reusing it from one run to the next', async () => {
    const pids: number[] = [];
    const cwd = dir();
    const a = await pool.run(
      { binary: ytdlp, args: ['--version'], cwd, signal: new AbortController().signal, onSpawn: (p) => pids.push(p) },
      true,
    );
    expect(a?.code).toBe(0);
    expect(a!.stdout.trim()).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    const out: string[] = [];
    const b = await pool.run({
      binary: ytdlp,
      args: [
        '--ignore-config',
        '--no-cache-dir',
        '--use-extractors',
        'generic',
        '-o',
        '%(id)s.%(ext)s',
        '--print',
        'after_move:[x] %(id)s',
        '--',
        host.clipUrl('clip01'),
      ],
      cwd,
      signal: new AbortController().signal,
      onSpawn: (p) => pids.push(p),
      onStdoutLine: (l) => out.push(l),
    });
    expect(b?.code, b?.stderr).toBe(0);
    expect(out).toContain('[x] clip01');
    expect(statSync(join(cwd, 'clip01.mp4')).size).toBe(statSync(join(host.mediaDir, 'clip01.mp4')).size);
    expect(pids[0]).toBe(pids[1]); // the same helper: no second start-up
    // a failing run gives yt-dlp's exit code and its ERROR line
    const c = await pool.run({
      binary: ytdlp,
      args: ['--ignore-config', '--use-extractors', 'generic', '--', host.notFoundUrl()],
      cwd,
      signal: new AbortController().signal,
    });
    expect(c?.code).toBe(1);
    expect(c!.stderr).toMatch(/ERROR: .*404/);
    expect(pids.every((p) => p === pids[0])).toBe(true);
  });

  it('archives through helpers exactly as through spawned runs (page, playlist, retry)', async () => {
    const source = createYtDlpSource({ allowedHosts: [host.host], helpers: pool, socketTimeoutS: 10 });
    const t = makeCtx({ rowId: 'pooled' });
    const page = await source.archive(host.pageUrl('clip02'), t.ctx);
    expect(page.mediaIds).toHaveLength(1);
    const id = page.mediaIds[0]!;
    expect(page.files.map((f) => f.key.split('/').pop())).toEqual(
      expect.arrayContaining([`${id}.mp4`, `${id}.en.vtt`, `${id}.info.json`, 'metadata.json']),
    );
    const mp4 = page.files.find((f) => f.key.endsWith('.mp4'))!;
    expect(mp4.size).toBe(statSync(join(host.mediaDir, 'clip02.mp4')).size);
    const pl = await source.archive(host.playlistUrl(), t.ctx);
    expect(pl.error).toBeUndefined();
    expect(pl.mediaIds[0]).toMatch(/^playlist:/);
    expect(pl.files.filter((f) => f.key.endsWith('.mp4'))).toHaveLength(3);
    // again: the download archive skips all three
    const mark = host.requests.length;
    const again = await source.archive(host.playlistUrl(), makeCtx({ rowId: 'pooled' }, t.root).ctx);
    expect(again.files.map((f) => f.key).sort()).toEqual(pl.files.map((f) => f.key).sort());
    expect(host.requests.slice(mark).filter((q) => q.path.endsWith('.mp4') && q.bytes > 0 && !q.range)).toHaveLength(0);
  });

  it('runs in a helper get the tool arguments: the per-job cookies copy is sent, extra args passed, the path never logged', async () => {
    const ran: { args: string[]; inHelper: boolean }[] = [];
    const spy = {
      run: async (...a: Parameters<YtDlpHelperPool['run']>) => {
        const res = await pool.run(...a);
        ran.push({ args: a[0].args, inHelper: res !== null });
        return res;
      },
    } as unknown as YtDlpHelperPool;
    const cookies = join(dir(), 'my-private-cookies.txt');
    const jar = '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t2145916800\tSA_TEST\tcookie-for-helper\n';
    writeFileSync(cookies, jar);
    const lines: string[] = [];
    const t = makeCtx({ rowId: 'tooled' });
    t.ctx.log = pino({ level: 'trace' }, new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }));
    const toolConfig = { ...DEFAULT_TOOL_CONFIG, cookiesFile: cookies, extraArgs: ['--sleep-requests', '0'] };
    const mark = host.requests.length;
    const r = await createYtDlpSource({ allowedHosts: [host.host], helpers: spy, toolConfig, socketTimeoutS: 10 }).archive(
      host.clipUrl('clip03'),
      t.ctx,
    );
    expect(r.files.some((f) => f.key.endsWith('clip03.mp4'))).toBe(true);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.inHelper).toBe(true);
    const argv = ran[0]!.args;
    const copy = argv[argv.indexOf('--cookies') + 1]!;
    expect(copy.startsWith(t.workDir)).toBe(true); // the job's own copy, not the user's file
    expect(argv.indexOf('--sleep-requests')).toBeGreaterThan(0);
    expect(argv.indexOf('--sleep-requests')).toBeLessThan(argv.lastIndexOf('--'));
    // yt-dlp inside the helper loaded the copy: the media host got the cookie
    const media = host.requests.slice(mark).filter((q) => q.path === '/clips/clip03.mp4');
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((q) => q.cookie?.includes('SA_TEST=cookie-for-helper'))).toBe(true);
    expect(readFileSync(cookies, 'utf8')).toBe(jar); // the user's file is untouched
    expect(lines.some((l) => l.includes('spawning yt-dlp'))).toBe(true);
    for (const l of lines) expect(l).not.toMatch(/my-private-cookies|cookies\.txt|cookie-for-helper/);
  });

  it('cancel kills the helper group: its download and the ffmpeg it started; the next run gets a new helper', async () => {
    const ac = new AbortController();
    let pgid = 0;
    const run = pool.run({
      binary: ytdlp,
      args: [
        '--ignore-config',
        '--no-cache-dir',
        '--use-extractors',
        'generic',
        '--downloader',
        'ffmpeg',
        '-o',
        '%(id)s.%(ext)s',
        '--',
        host.slowUrl(),
      ],
      cwd: dir(),
      signal: ac.signal,
      killGraceMs: 2000,
      onSpawn: (p) => (pgid = p),
    });
    await until(
      () =>
        pgid > 0 &&
        inGroup(pgid).some((l) =>
          / ffmpeg /.test(
            ` ${l
              .trim()
              .split(/\s+/)
              .slice(3)
              .map((w) => w.split('/').pop())
              .join(' ')} `,
          ),
        ),
    );
    ac.abort();
    const res = await run;
    expect(res?.aborted).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
    expect(inGroup(pgid)).toEqual([]);
    let next = 0;
    const ok = await pool.run(
      { binary: ytdlp, args: ['--version'], cwd: dir(), signal: new AbortController().signal, onSpawn: (p) => (next = p) },
      true,
    );
    expect(ok?.code).toBe(0);
    expect(next).not.toBe(pgid);
  });

  it('leaves a yt-dlp that is not a Python program to be spawned', async () => {
    const sh = join(dir(), 'yt-dlp');
    writeFileSync(sh, '#!/bin/sh\necho 2099.01.01\n');
    chmodSync(sh, 0o755);
    expect(await pool.run({ binary: sh, args: ['--version'], cwd: dir(), signal: new AbortController().signal })).toBeNull();
    expect(existsSync(sh)).toBe(true);
  });
});
