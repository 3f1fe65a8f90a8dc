/**
 * Cancel and timeout kill the whole yt-dlp process tree (ffmpeg included) and leave no partial files.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createYtDlpSource, findYtDlp, runYtDlp } from '../../worker/src/sources/ytdlp/index.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { filesUnder, makeCtx, processesMatching } from './helpers.js';

let host: MediaHost;
beforeAll(async () => {
  host = await startMediaHost({ clipCount: 1, slowChunkBytes: 8192 });
});
afterAll(async () => host?.close());

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The program of a `ps -eo pid,pgid,stat,args` line (basename of the first word of args). */
const program = (l: string) => (l.trim().split(/\s+/)[3] ?? '').split('/').pop();
const isFfmpeg = (l: string) => program(l) === 'ffmpeg';
const isYtDlp = (l: string) =>
  l
    .trim()
    .split(/\s+/)
    .slice(3, 5)
    .some((w) => w.endsWith('yt-dlp'));

/** Processes of this test: their command line holds the media host's port. */
const ours = () => processesMatching(`:${host.port}/`);

describe('yt-dlp source: cancel and timeout', () => {
  it('cancel mid-download kills yt-dlp and leaves no .part files', async () => {
    const t = makeCtx();
    const source = createYtDlpSource({ allowedHosts: [host.host], killGraceMs: 2000 });
    const p = source.archive(host.slowUrl(), t.ctx);
    const settled = p.then(
      () => null,
      (e: unknown) => e,
    );
    // wait until bytes flow and a .part file exists
    await until(() => t.progress.some((x) => (x.bytes ?? 0) > 0) && filesUnder(t.workDir).some((f) => f.endsWith('.part')));
    expect(ours().some(isYtDlp)).toBe(true);
    const reason = new ArchiveError('cancelled', 'cancelled on request');
    t.abort.abort(reason);
    expect(await settled).toBe(reason);
    expect(ours()).toEqual([]);
    expect(filesUnder(t.workDir)).toEqual([]);
    expect(filesUnder(t.root)).toEqual([]);
  });

  it('the per-link timeout kills the run and reports network', async () => {
    const t = makeCtx();
    const source = createYtDlpSource({ allowedHosts: [host.host], timeoutMs: 2500, killGraceMs: 1000 });
    const err = await source.archive(host.slowUrl(), t.ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).category).toBe('network');
    expect((err as Error).message).toMatch(/timed out/);
    expect(ours()).toEqual([]);
    expect(filesUnder(t.workDir)).toEqual([]);
  });

  it('abort kills the whole process group: yt-dlp and the ffmpeg it started', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ytdlp-group-'));
    const ac = new AbortController();
    let pgid = 0;
    const run = runYtDlp({
      binary: findYtDlp()!,
      // ffmpeg as the downloader, so that the tree has a grandchild
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
      cwd,
      signal: ac.signal,
      killGraceMs: 2000,
      onSpawn: (pid) => (pgid = pid),
    });
    await until(() => ours().some(isFfmpeg));
    const group = processesMatching('').filter((l) => l.trim().split(/\s+/)[1] === String(pgid));
    expect(group.some(isYtDlp)).toBe(true);
    expect(group.some(isFfmpeg)).toBe(true);
    ac.abort();
    const res = await run;
    expect(res.aborted).toBe(true);
    expect(ours()).toEqual([]);
    expect(processesMatching('').filter((l) => l.trim().split(/\s+/)[1] === String(pgid))).toEqual([]);
  });
});
