/**
 * The yt-dlp source against the real yt-dlp and ffmpeg, on media served from 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { metadataKey } from '../../worker/src/storage/layout.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { filesUnder, makeCtx } from './helpers.js';

let host: MediaHost;
const spawned: string[][] = [];

beforeAll(async () => {
  host = await startMediaHost({ clipCount: 4, playlistSize: 3 });
});
afterAll(async () => host?.close());

function source() {
  return createYtDlpSource({ allowedHosts: [host.host], onSpawn: (a) => spawned.push(a), socketTimeoutS: 10 });
}

async function expectCategory(p: Promise<unknown>, category: string): Promise<ArchiveError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArchiveError);
  expect((err as ArchiveError).category, (err as Error).message).toBe(category);
  return err as ArchiveError;
}

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('yt-dlp source: archiving', () => {
  it('archives a page with a video, its subtitles, info JSON, thumbnail and metadata.json', async () => {
    const t = makeCtx();
    const link = host.pageUrl('clip01');
    const r = await source().archive(link, t.ctx);
    expect(r.error).toBeUndefined();
    expect(r.mediaIds).toHaveLength(1);
    const id = r.mediaIds[0]!;
    const names = r.files.map((f) => f.key.split('/').pop());
    expect(names).toEqual(expect.arrayContaining([`${id}.mp4`, `${id}.en.vtt`, `${id}.info.json`, `${id}.jpg`, 'metadata.json']));
    for (const f of r.files) expect(f.key.startsWith(`151/youtube/${id}/`)).toBe(true);

    // the transcript is the served one, byte for byte
    const vtt = r.files.find((f) => f.key.endsWith('.vtt'))!;
    expect(readFileSync(t.store.pathOf(vtt.key), 'utf8')).toBe(host.subtitleText('clip01'));
    // the media is the served clip
    const mp4 = r.files.find((f) => f.key.endsWith('.mp4'))!;
    expect(mp4.sha256).toBe(sha256(join(host.mediaDir, 'clip01.mp4')));

    const meta = JSON.parse((await t.store.getText(metadataKey('', '151', 'youtube', id)))!) as MediaMetadata;
    expect(meta.row).toMatchObject({ rowId: '151', name: 'Ana Souza', type: 'FF-Fi/Se-CP/B(S) #4', spreadsheetId: 'sheet-1' });
    expect(meta.url).toBe(link);
    expect(meta.title).toContain('clip01');
    expect(meta.tools['yt-dlp']).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    expect(meta.files.map((f) => f.key).sort()).toEqual(
      r.files
        .filter((f) => !f.key.endsWith('metadata.json'))
        .map((f) => f.key)
        .sort(),
    );
    for (const f of meta.files) {
      expect(f.sha256).toBe(sha256(t.store.pathOf(f.key)));
      expect(f.size).toBe(readFileSync(t.store.pathOf(f.key)).length);
    }
    // progress went forward and ended at 1
    expect(t.progress.length).toBeGreaterThan(1);
    expect(t.progress.at(-1)!.fraction).toBe(1);
    // nothing left in the scratch folder
    expect(filesUnder(t.workDir)).toEqual([]);
  });

  it('transcript only: subtitles and info JSON, no media', async () => {
    const t = makeCtx({ options: { transcriptOnly: true } });
    const r = await source().archive(host.pageUrl('clip02'), t.ctx);
    const names = r.files.map((f) => f.key.split('/').pop()!);
    expect(names.some((n) => n.endsWith('.vtt'))).toBe(true);
    expect(names.some((n) => n.endsWith('.info.json'))).toBe(true);
    expect(names.some((n) => n.endsWith('.mp4') || n.endsWith('.jpg'))).toBe(false);
  });

  it('audio only: an audio file', async () => {
    const t = makeCtx({ options: { audioOnly: true } });
    const r = await source().archive(host.clipUrl('clip03'), t.ctx);
    expect(r.mediaIds).toEqual(['clip03']);
    expect(r.files.map((f) => f.key)).toContain('151/youtube/clip03/clip03.m4a');
  });

  it('archives a multi-video page as a playlist; a retry fetches only the missing entry', async () => {
    const first = makeCtx();
    const link = host.playlistUrl();
    const r1 = await source().archive(link, first.ctx);
    expect(r1.error).toBeUndefined();
    expect(r1.mediaIds).toHaveLength(1);
    expect(r1.mediaIds[0]).toMatch(/^playlist:/);
    const pl = JSON.parse((await first.store.getText(metadataKey('', '151', 'youtube', r1.mediaIds[0]!)))!) as MediaMetadata;
    const entries = pl.extra!['entries'] as { mediaId: string; status: string; index: number }[];
    expect(entries).toHaveLength(3);
    expect(entries.every((e) => e.status === 'archived')).toBe(true);
    for (const e of entries) {
      expect(r1.files.map((f) => f.key)).toContain(`151/youtube/${e.mediaId}/metadata.json`);
      expect(r1.files.map((f) => f.key)).toContain(`151/youtube/${e.mediaId}/${e.mediaId}.mp4`);
    }

    // a second run: everything is archived, nothing is downloaded
    const before = host.requests.filter((q) => q.path.startsWith('/clips/') && q.path.endsWith('.mp4')).length;
    const again = makeCtx({ attempt: 2 }, first.root);
    const r2 = await source().archive(link, again.ctx);
    expect(r2.mediaIds).toEqual(r1.mediaIds);
    expect(r2.files.map((f) => f.key).sort()).toEqual(r1.files.map((f) => f.key).sort());
    expect(host.requests.filter((q) => q.path.startsWith('/clips/') && q.path.endsWith('.mp4')).length).toBe(before);

    // one entry's metadata.json goes missing: only that entry is fetched again
    const victim = entries[1]!;
    rmSync(first.store.pathOf(`151/youtube/${victim.mediaId}/metadata.json`));
    const clipOf = (i: number) => host.playlistClips[i - 1]!;
    const mark = host.requests.length;
    const retry = makeCtx({ attempt: 2 }, first.root);
    const r3 = await source().archive(link, retry.ctx);
    expect(r3.error).toBeUndefined();
    const fetched = host.requests
      .slice(mark)
      .filter((q) => q.path.endsWith('.mp4'))
      .map((q) => q.path);
    expect([...new Set(fetched)]).toEqual([`/clips/${clipOf(victim.index)}.mp4`]);
    expect(await retry.store.head(`151/youtube/${victim.mediaId}/metadata.json`)).not.toBeNull();
  });
});

describe('yt-dlp source: errors', () => {
  it('404 → not_found', async () => {
    await expectCategory(source().archive(host.notFoundUrl(), makeCtx().ctx), 'not_found');
    await expectCategory(source().archive(host.notFoundUrl('html'), makeCtx().ctx), 'not_found');
  });

  it('403 → permission', async () => {
    await expectCategory(source().archive(host.forbiddenUrl(), makeCtx().ctx), 'permission');
  });

  it('429 → rate_limit', async () => {
    const e = await expectCategory(source().archive(host.rateLimitedUrl('html'), makeCtx().ctx), 'rate_limit');
    expect(e.message).toMatch(/429/);
  });

  it('a disallowed host, file:// and other schemes → validation, nothing spawned', async () => {
    const n = spawned.length;
    const s = source();
    for (const link of [
      'https://example.org/video.mp4',
      'http://127.0.0.1:1/clips/clip01.mp4', // right address, port not listed
      `http://localhost:${host.port}/clips/clip01.mp4`, // same server by another name: not listed
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
      'ftp://127.0.0.1/x.mp4',
      'https://www.youtube.com/watch?v=short',
    ]) {
      await expectCategory(s.archive(link, makeCtx().ctx), 'validation');
    }
    expect(spawned.length).toBe(n);
  });

  it('a page on an allowed host cannot make yt-dlp fetch a private address that is not listed', async () => {
    // a second host, allowed, whose page points at the first one as localhost:PORT (loopback, not listed)
    const h = await startMediaHost({
      extraPages: {
        'elsewhere.html': `<html><head><title>Elsewhere</title></head><body><video src="http://localhost:${host.port}/clips/clip01.mp4"></video></body></html>`,
      },
    });
    try {
      const mark = host.requests.length;
      const s = createYtDlpSource({ allowedHosts: [h.host], socketTimeoutS: 5 });
      await expectCategory(s.archive(h.extraUrl('elsewhere.html'), makeCtx().ctx), 'validation');
      expect(host.requests.slice(mark).filter((q) => q.host.startsWith('localhost'))).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
