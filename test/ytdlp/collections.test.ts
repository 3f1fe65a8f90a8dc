/**
 * Collections and media ids (issue 7 items 6, 9, 10) against the real yt-dlp and ffmpeg, on media
 * served from 127.0.0.1.
 *
 * How the channel path is tested without YouTube: a channel link archives through the same code
 * as every multi-entry link — one yt-dlp run with `--yes-playlist` and a `--download-archive` file
 * written from what storage holds — and differs only in its URL, extractors and cap. So:
 *  - the archive mechanism is driven for real on a channel-like list on the media host: an RSS
 *    feed of clip links, newest first, which yt-dlp's generic extractor turns into a playlist
 *    whose entries keep their ids (the clip names) when a new upload is put on top, as a channel
 *    tab's entries do;
 *  - the channel-specific parts are checked on the argv the source really spawns for a
 *    `youtube.com/@handle` link (its DNS lookup fails on purpose, so nothing leaves the machine),
 *    and the cap plus order by running the real yt-dlp with exactly those flags on the feed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { silentLogger } from '../../worker/src/log.js';
import { resolveLink } from '../../worker/src/net/hostGuard.js';
import { executeJob } from '../../worker/src/pipeline/executeJob.js';
import { GENERIC_EXTRACTORS } from '../../worker/src/sources/ytdlp/args.js';
import {
  buildDownloadArgs,
  createYtDlpSource,
  DEFAULT_CHANNEL_MAX,
  downloadPlan,
  findYtDlp,
  isGenericId,
  itemMediaId,
  parseItemLine,
  runYtDlp,
} from '../../worker/src/sources/ytdlp/index.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { jobRecord, makeCtx } from './helpers.js';

let host: MediaHost;

beforeAll(async () => {
  host = await startMediaHost({ clipCount: 6, clipSeconds: 1 });
});
afterAll(async () => host?.close());

const mp4Requests = (from: number) =>
  host.requests
    .slice(from)
    .filter((q) => q.path.endsWith('.mp4'))
    .map((q) => q.path.replace(/^\/clips\/|\.mp4$/g, ''));

describe('channel-like lists: one run, only what is new', () => {
  it('the first run archives N items; after one new upload the second run archives exactly one', async () => {
    const spawns: { args: string[]; archive: string | null }[] = [];
    const source = createYtDlpSource({
      allowedHosts: [host.host],
      socketTimeoutS: 10,
      onSpawn: (args) => {
        const i = args.indexOf('--download-archive');
        spawns.push({ args, archive: i >= 0 ? readFileSync(args[i + 1]!, 'utf8') : null });
      },
    });
    host.setFeed('uploads', ['clip03', 'clip02', 'clip01']); // newest first
    const link = host.feedUrl('uploads');

    const first = makeCtx();
    let mark = host.requests.length;
    const r1 = await source.archive(link, first.ctx);
    expect(r1.error).toBeUndefined();
    expect(r1.mediaIds).toHaveLength(1);
    const collection = r1.mediaIds[0]!;
    expect(collection).toMatch(/^playlist:uploads-[0-9a-f]{10}$/);
    expect(new Set(mp4Requests(mark))).toEqual(new Set(['clip01', 'clip02', 'clip03']));
    expect(spawns).toHaveLength(1); // one yt-dlp process for the link: no listing run
    expect(spawns[0]!.args).not.toContain('--flat-playlist');
    expect(spawns[0]!.archive).toBeNull(); // nothing stored yet
    for (const c of ['clip01', 'clip02', 'clip03']) expect(r1.files.map((f) => f.key)).toContain(`151/youtube/${c}/${c}.mp4`);

    // one new upload, on top
    host.setFeed('uploads', ['clip04', 'clip03', 'clip02', 'clip01']);
    const written = (c: string) =>
      [`${c}.mp4`, 'metadata.json']
        .map((f) => statSync(first.store.pathOf(`151/youtube/${c}/${f}`)))
        .map((st) => `${st.ino}:${st.mtimeMs}`);
    const before = Object.fromEntries(['clip01', 'clip02', 'clip03'].map((c) => [c, written(c)]));
    const again = makeCtx({ attempt: 1 }, first.root);
    mark = host.requests.length;
    const r2 = await source.archive(link, again.ctx);
    expect(r2.error).toBeUndefined();
    expect(r2.mediaIds).toEqual([collection]);
    expect(spawns).toHaveLength(2);
    // exactly one item archived: the new one; the others were neither downloaded nor stored again
    expect(new Set(mp4Requests(mark))).toContain('clip04');
    const bytesOf = (c: string) =>
      host.requests
        .slice(mark)
        .filter((q) => q.path === `/clips/${c}.mp4`)
        .reduce((n, q) => n + q.bytes, 0);
    const clipBytes = (c: string) => statSync(join(host.mediaDir, `${c}.mp4`)).size;
    expect(bytesOf('clip04')).toBeGreaterThanOrEqual(clipBytes('clip04'));
    // (yt-dlp 2023.03.04 matches a feed's url entries against the archive only after the generic
    // extractor has looked at the link, so an archived clip may be requested once, never stored again;
    // a YouTube tab's flat entries carry their extractor and are skipped before any request)
    for (const c of ['clip01', 'clip02', 'clip03']) expect(written(c)).toEqual(before[c]);
    expect(statSync(first.store.pathOf('151/youtube/clip04/clip04.mp4')).size).toBe(clipBytes('clip04'));
    expect(spawns[1]!.archive!.trim().split('\n').sort()).toEqual(['generic clip01', 'generic clip02', 'generic clip03']);

    const meta = JSON.parse((await again.store.getText(`151/youtube/${collection}/metadata.json`))!) as MediaMetadata;
    const entries = meta.extra!['entries'] as { mediaId: string; index?: number; status: string }[];
    expect(entries.map((e) => [e.mediaId, e.status])).toEqual([
      ['clip04', 'archived'],
      ['clip03', 'archived'],
      ['clip02', 'archived'],
      ['clip01', 'archived'],
    ]);
    expect(meta.extra!['count']).toBe(4);
    // the result still lists every file of the collection, the new item's included
    for (const c of ['clip01', 'clip02', 'clip03', 'clip04'])
      expect(r2.files.map((f) => f.key)).toContain(`151/youtube/${c}/metadata.json`);

    // nothing new: the run still happens once (the list may have grown) and stores nothing again
    const stable = Object.fromEntries(['clip01', 'clip02', 'clip03', 'clip04'].map((c) => [c, written(c)]));
    const r3 = await source.archive(link, makeCtx({ attempt: 1 }, first.root).ctx);
    expect(r3.error).toBeUndefined();
    for (const c of ['clip01', 'clip02', 'clip03', 'clip04']) expect(written(c)).toEqual(stable[c]);
    expect(spawns).toHaveLength(3);
  });

  it('a single link archived before is reported without starting yt-dlp', async () => {
    let spawned = 0;
    const source = createYtDlpSource({ allowedHosts: [host.host], onSpawn: () => spawned++ });
    const t = makeCtx({ rowId: 'single' });
    const r1 = await source.archive(host.clipUrl('clip05'), t.ctx);
    expect(spawned).toBe(1);
    const r2 = await source.archive(host.clipUrl('clip05'), makeCtx({ rowId: 'single' }, t.root).ctx);
    expect(spawned).toBe(1);
    expect(r2).toEqual({ mediaIds: r1.mediaIds, files: expect.arrayContaining(r1.files) });
  });
});

describe('channel links: argv, cap and order', () => {
  const channel = resolveLink('https://www.youtube.com/@GoogleDevelopers', []);
  const base = { url: channel.url, extractors: ['youtube', 'youtube:tab'], socketTimeoutS: 30 };

  it('a channel link becomes its videos tab, every entry of it listed and fetched in one run, capped', () => {
    expect(channel.url).toBe('https://www.youtube.com/@GoogleDevelopers/videos');
    expect(resolveLink('https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw/shorts', []).url).toBe(
      'https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw/shorts',
    );
    expect(resolveLink('https://www.youtube.com/c/GoogleDevelopers', []).url).toBe('https://www.youtube.com/c/GoogleDevelopers/videos');
    expect(resolveLink('https://www.youtube.com/user/GoogleDevelopers/streams', []).url).toBe(
      'https://www.youtube.com/user/GoogleDevelopers/streams',
    );

    const args = buildDownloadArgs(downloadPlan(base, channel, { job: jobRecord() }, {}, '/w/download-archive.txt'));
    expect(args[args.indexOf('--playlist-items') + 1]).toBe(`1:${DEFAULT_CHANNEL_MAX}`);
    expect(args[args.indexOf('--download-archive') + 1]).toBe('/w/download-archive.txt');
    expect(args).toContain('--yes-playlist');
    // newest first is the tab's own order: nothing may reorder it
    for (const flag of ['--playlist-reverse', '--playlist-random', '--flat-playlist', '--dump-single-json', '--lazy-playlist'])
      expect(args).not.toContain(flag);
    // every flag exists in the installed yt-dlp (2023.03.04 and later)
    const help = execFileSync(findYtDlp()!, ['--help'], { encoding: 'utf8' });
    for (const flag of args.filter((x) => /^--[a-z]/.test(x)))
      expect(help.includes(`${flag} `) || help.includes(`${flag},`) || help.includes(`${flag}\n`), flag).toBe(true);
    const capped = buildDownloadArgs(downloadPlan(base, channel, { job: jobRecord() }, { channelMax: 25 }));
    expect(capped[capped.indexOf('--playlist-items') + 1]).toBe('1:25');
    expect(capped).not.toContain('--download-archive');
    // a playlist link is not capped; a video link is not a playlist
    const pl = resolveLink('https://www.youtube.com/playlist?list=PL6IaIsEjSbf96XFRuNccS_RuEXwNdsoEu', []);
    expect(buildDownloadArgs(downloadPlan({ ...base, url: pl.url }, pl, { job: jobRecord() }, {}))).not.toContain('--playlist-items');
    const v = resolveLink('https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL6IaIsEjSbf96XFRuNccS_RuEXwNdsoEu', []);
    expect(buildDownloadArgs(downloadPlan({ ...base, url: v.url }, v, { job: jobRecord() }, {}))).toContain('--no-playlist');
  });

  it('the source runs one yt-dlp for a channel link, with those flags, and reports the unreachable network as network', async () => {
    const spawns: string[][] = [];
    const source = createYtDlpSource({
      allowedHosts: [],
      channelMax: 7,
      socketTimeoutS: 5,
      lookup: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND www.youtube.com'), { code: 'ENOTFOUND' });
      },
      onSpawn: (a) => spawns.push(a),
    });
    const t = makeCtx();
    const err = await source.archive('https://www.youtube.com/@GoogleDevelopers/videos', t.ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).category, (err as Error).message).toBe('network');
    expect(spawns).toHaveLength(1);
    const a = spawns[0]!;
    expect(a.at(-1)).toBe('https://www.youtube.com/@GoogleDevelopers/videos');
    expect(a[a.indexOf('--playlist-items') + 1]).toBe('1:7');
    expect(a[a.indexOf('--use-extractors') + 1]).toContain('youtube:tab');
  }, 60_000);

  it('with the channel flags, the real yt-dlp fetches the newest N entries and skips the archived ones', async () => {
    host.setFeed('capped', ['clip06', 'clip05', 'clip04', 'clip03']); // newest first
    const feed = resolveLink(host.feedUrl('capped'), [host.host]);
    // the channel plan, pointed at the feed (generic extractors) instead of youtube.com
    const plan = downloadPlan({ ...base, url: feed.url, extractors: GENERIC_EXTRACTORS }, channel, { job: jobRecord() }, { channelMax: 3 });
    const cwd = mkdtempSync(join(tmpdir(), 'sa-channel-cap-'));
    const archive = join(cwd, 'download-archive.txt');
    writeFileSync(archive, 'generic clip05\n');
    const lines: string[] = [];
    const mark = host.requests.length;
    const res = await runYtDlp({
      binary: findYtDlp()!,
      args: buildDownloadArgs({ ...plan, downloadArchive: archive }),
      cwd,
      signal: new AbortController().signal,
      onStdoutLine: (l) => lines.push(l),
    });
    expect(res.code, res.stderr).toBe(0);
    const items = lines.map((l) => parseItemLine(l, cwd)).filter((i) => i !== null);
    // the 3 newest are clip06, clip05, clip04, fetched in that order; clip05 is archived; clip03 is past the cap
    expect(items.map((i) => i.id)).toEqual(['clip06', 'clip04']);
    expect(mp4Requests(mark)).not.toContain('clip03');
  });
});

describe('generic ids: two HLS links in one row', () => {
  it('both are stored, under different, stable media ids', async () => {
    const t = makeCtx({ rowId: 'hls-row', links: [host.hlsUrl(), host.hlsUrl('clip02')] });
    const source = createYtDlpSource({ allowedHosts: [host.host], socketTimeoutS: 10 });
    const outcome = await executeJob(
      t.ctx.job,
      { source, store: t.store, prefix: '', workRoot: t.workDir, log: silentLogger },
      t.abort.signal,
      () => {},
    );
    expect(outcome.error).toBeNull();
    expect(outcome.mediaIds).toHaveLength(2);
    const [a, b] = outcome.mediaIds as [string, string];
    expect(a).not.toBe(b);
    expect(a).toBe(itemMediaId('index', 'Generic', host.hlsUrl()));
    expect(b).toBe(itemMediaId('index', 'Generic', host.hlsUrl('clip02')));
    for (const id of [a, b]) {
      expect(id).toMatch(/^index-[0-9a-f]{10}$/);
      expect(outcome.files).toContain(`hls-row/youtube/${id}/${id}.mp4`);
      const meta = JSON.parse((await t.store.getText(`hls-row/youtube/${id}/metadata.json`))!) as MediaMetadata;
      expect(meta.mediaId).toBe(id);
      expect(meta.extra!['ytdlpId']).toBe('index');
      expect(meta.extra!['archiveId']).toBe('generic index');
    }
    // two different streams, not one stored twice
    const sizes = [a, b].map((id) => readFileSync(t.store.pathOf(`hls-row/youtube/${id}/${id}.mp4`)).length);
    expect(sizes[0]).not.toBe(sizes[1]);
    // a second run of the row finds both again: nothing is fetched
    const mark = host.requests.length;
    const again = await executeJob(
      jobRecord({ rowId: 'hls-row', links: t.ctx.job.links }),
      { source, store: t.store, prefix: '', workRoot: t.workDir, log: silentLogger },
      t.abort.signal,
      () => {},
    );
    expect(again.mediaIds).toEqual(outcome.mediaIds);
    expect(host.requests.slice(mark).filter((q) => q.path.endsWith('.ts'))).toEqual([]);
  });

  it('knows which ids are generic', () => {
    const page = 'http://h/x/playlist.html';
    expect(isGenericId('index', 'Generic', 'http://h/a/index.m3u8')).toBe(true);
    expect(isGenericId('master', 'Generic', 'http://h/a/master.m3u8?token=1')).toBe(true);
    expect(isGenericId('stream7', 'Generic', 'http://h/a/stream7.m3u8')).toBe(true); // a manifest named by its URL
    expect(isGenericId('playlist-2', 'HTML5MediaEmbed', page)).toBe(true);
    expect(isGenericId('clip01', 'Generic', 'http://h/clips/clip01.mp4')).toBe(false);
    expect(isGenericId('index', 'Youtube', 'https://www.youtube.com/watch?v=index')).toBe(false);
    expect(isGenericId('http://h/feed.xml', 'Generic', 'http://h/feed.xml')).toBe(true);
    // stable for one URL, distinct across URLs
    expect(itemMediaId('index', 'Generic', 'http://h/a/index.m3u8')).toBe(itemMediaId('index', 'Generic', 'http://h/a/index.m3u8'));
    expect(itemMediaId('index', 'Generic', 'http://h/a/index.m3u8')).not.toBe(itemMediaId('index', 'Generic', 'http://h/b/index.m3u8'));
    expect(itemMediaId('clip01', 'Generic', 'http://h/clips/clip01.mp4')).toBe('clip01');
    expect(itemMediaId('http://h/feeds/up.xml', 'Generic', 'http://h/feeds/up.xml')).toMatch(/^up-[0-9a-f]{10}$/);
  });
});
