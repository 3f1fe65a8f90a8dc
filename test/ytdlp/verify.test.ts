/**
 * Honest completion (issue 7 item 8): the check of stored media (verify.ts) on ffmpeg-made files,
 * and through the runner with the real yt-dlp on the local media host: a cut MP4 whose page states
 * the true duration, and a file without audio, fail as `system`, are retried, and never complete.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';
import { createYtDlpSource, durationTolerance, verifyItem, type DownloadedItem } from '../../worker/src/sources/ytdlp/index.js';
import { makeCtx } from './helpers.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { until } from '../support/wait.js';
import { testNewJob, testEvents } from '../support/jobs.js';

let host: MediaHost;
let dir: string;
const SECONDS = 10;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-verify-'));
  // a two-video page (a collection for yt-dlp's generic extractor): the whole clip and the same clip cut short
  const mixed = `<!DOCTYPE html>\n<html><head><title>Mixed</title></head><body>
<video controls><source src="/clips/clip01.mp4" type="video/mp4"></video>
<video controls><source src="/clips/clip01.cut.mp4" type="video/mp4"></video>
</body></html>\n`;
  host = await startMediaHost({ clipCount: 1, clipSeconds: SECONDS, extraPages: { 'mixed.html': mixed } });
}, 120_000);
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clip = (variant = '') => join(host.mediaDir, `clip01${variant}.mp4`);

/** An item as parseItemLine gives it, with an info JSON holding `info`. */
function item(media: string[], info: Record<string, unknown> | null, subs: Record<string, string> = {}): DownloadedItem {
  const it: DownloadedItem = { id: 'clip01', mediaPaths: media, subtitlePaths: subs, thumbnailPaths: [] };
  if (info) {
    const p = join(dir, `info-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify({ id: 'clip01', ...info }));
    it.infoJsonPath = p;
  }
  return it;
}

async function rejection(p: Promise<unknown>): Promise<ArchiveError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArchiveError);
  expect((err as ArchiveError).category).toBe('system');
  return err as ArchiveError;
}

function text(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
}

describe('verifyItem', () => {
  it('accepts a complete clip with video and audio of the stated length', async () => {
    await expect(verifyItem(item([clip()], { duration: SECONDS }), 'video')).resolves.toBeUndefined();
    // no duration in the info JSON: the header's is the reference
    await expect(verifyItem(item([clip()], null), 'video')).resolves.toBeUndefined();
  });

  it('a file cut mid-way fails with its real length, even though its header states the full length', async () => {
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clip('.cut')], {
      encoding: 'utf8',
    });
    expect(Number(probe.stdout)).toBeCloseTo(SECONDS, 0); // what a header-only check would believe
    const e = await rejection(verifyItem(item([clip('.cut')], { duration: SECONDS }), 'video'));
    expect(e.message).toMatch(/^stored media clip01\.cut\.mp4 is \d+\.\d s long but the source says 10\.0 s: the download was cut short$/);
    expect(Number(/is (\d+\.\d) s/.exec(e.message)![1])).toBeLessThan(SECONDS / 2);
    const h = await rejection(verifyItem(item([clip('.cut')], null), 'video'));
    expect(h.message).toMatch(/but its header says 10\.0 s: the download was cut short/);
  });

  it('the length must match the source both ways, within 2 % or 2 s', async () => {
    const e = await rejection(verifyItem(item([clip()], { duration: 5 }), 'video'));
    expect(e.message).toMatch(/is 10\.\d s long but the source says 5\.0 s: it is not the media the source describes/);
    const short = await rejection(verifyItem(item([clip()], { duration: 60 }), 'video'));
    expect(short.message).toMatch(/is 10\.\d s long but the source says 60\.0 s: the download was cut short/);
    // within tolerance (2 s, or 2 %) passes
    await expect(verifyItem(item([clip()], { duration: SECONDS + 1.5 }), 'video')).resolves.toBeUndefined();
    expect(durationTolerance(10)).toBe(2);
    expect(durationTolerance(600)).toBe(12);
  });

  it('streams: video without audio fails unless the source has no audio; audio mode wants audio only', async () => {
    const e = await rejection(verifyItem(item([clip('.noaudio')], { duration: SECONDS }), 'video'));
    expect(e.message).toBe('stored media clip01.noaudio.mp4 has no audio stream, but video with audio was asked for');
    await expect(verifyItem(item([clip('.noaudio')], { duration: SECONDS, acodec: 'none' }), 'video')).resolves.toBeUndefined();

    const v = await rejection(verifyItem(item([clip()], { duration: SECONDS }), 'audio'));
    expect(v.message).toMatch(/has a video stream, but audio only was asked for/);
    const a = await rejection(verifyItem(item([clip('.noaudio')], { duration: SECONDS }), 'audio'));
    expect(a.message).toMatch(/has no audio stream, but audio was asked for/);
    const m4a = join(dir, 'clip01.m4a');
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', clip(), '-vn', '-c:a', 'copy', m4a]);
    expect(r.status).toBe(0);
    await expect(verifyItem(item([m4a], { duration: SECONDS }), 'audio')).resolves.toBeUndefined();
  });

  it('an unreadable or missing media file fails', async () => {
    const junk = text('junk.mp4', 'this is not a video\n');
    const e = await rejection(verifyItem(item([junk], { duration: SECONDS }), 'video'));
    expect(e.message).toMatch(/^stored media junk\.mp4 cannot be read \(ffprobe: .+\): the download is damaged$/);
    const none = await rejection(verifyItem(item([join(dir, 'nothing.mp4')], { duration: SECONDS }), 'video'));
    expect(none.message).toMatch(/wrote no media file/);
  });

  it('every subtitle file must be non-empty WebVTT, in every mode', async () => {
    const good = text('a.en.vtt', host.subtitleText('clip01'));
    const bom = text('b.en.vtt', '\uFEFF' + host.subtitleText('clip01'));
    await expect(verifyItem(item([], null, { en: good, pt: bom }), 'transcript')).resolves.toBeUndefined();
    const empty = await rejection(verifyItem(item([], null, { en: text('c.en.vtt', '') }), 'transcript'));
    expect(empty.message).toBe('the en subtitle file c.en.vtt is empty');
    const srt = await rejection(
      verifyItem(item([clip()], { duration: SECONDS }, { en: text('d.en.vtt', '1\n00:00:00,000 --> 00:00:01,000\nhi\n') }), 'video'),
    );
    expect(srt.message).toBe('the en subtitle file d.en.vtt is not WebVTT');
    const missing = await rejection(verifyItem(item([], null, { de: join(dir, 'gone.de.vtt') }), 'transcript'));
    expect(missing.message).toMatch(/the de subtitles \(gone\.de\.vtt\) were reported but not written/);
  });

  it('says plainly when ffprobe is missing', async () => {
    const e = await rejection(verifyItem(item([clip()], { duration: SECONDS }), 'video', { ffprobePath: join(dir, 'no-ffprobe') }));
    expect(e.message).toMatch(/ffprobe not found .*install ffmpeg/);
  });
});

describe('completion through the runner, real yt-dlp', () => {
  const job = (rowId: string, link: string): NewJob => testNewJob(rowId, link);

  it('a cut MP4 and a file without audio fail as system, are retried, and are never completed', async () => {
    const queue = new SqliteJobBackend(':memory:');
    const outbox = new SqliteOutbox(queue.db);
    const pushed: StatusUpdate[] = [];
    const push = outbox.push.bind(outbox);
    outbox.push = (u) => {
      pushed.push(u);
      return push(u);
    };
    const store = new LocalStore(join(dir, 'archive'));
    const runner = new Runner({
      events: testEvents(outbox),
      queue,
      sources: { youtube: createYtDlpSource({ allowedHosts: [host.host], socketTimeoutS: 10 }) },
      store,
      prefix: '',
      workRoot: join(dir, 'work'),
      concurrency: 2,
      leaseMs: 10_000,
      jobTimeoutMs: 60_000,
      retryScale: 0.01,
      log: silentLogger,
      pollMs: 50,
    });
    const [cut, noAudio, whole] = (
      await queue.enqueue([
        job('2', host.describedPageUrl('clip01', 'cut')),
        job('3', host.describedPageUrl('clip01', 'noaudio')),
        job('4', host.describedPageUrl('clip01', 'full')),
      ])
    ).map((r) => r.job);
    runner.start();
    try {
      await until(
        'the jobs to finish',
        async () => ((await queue.openCount()) === 0 && runner.active === 0 ? true : undefined),
        90_000,
        50,
      );
    } finally {
      await runner.stop();
    }
    // the control: the same page with the whole file completes
    expect(await queue.get(whole!.jobId)).toMatchObject({ status: 'completed', error: null });

    const c = (await queue.get(cut!.jobId))!;
    expect(c).toMatchObject({ status: 'failed', attempt: 2, error: { category: 'system' } });
    expect(c.error!.message).toMatch(
      /^stored media clip01\.cut\.mp4 is \d+\.\d s long but the source says 10\.0 s: the download was cut short$/,
    );
    const n = (await queue.get(noAudio!.jobId))!;
    expect(n).toMatchObject({ status: 'failed', attempt: 2, error: { category: 'system' } });
    expect(n.error!.message).toMatch(/has no audio stream/);

    for (const j of [c, n]) {
      const updates = pushed.filter((u) => u.jobId === j.jobId);
      expect(updates.map((u) => u.status)).toContain('queued'); // the retry was reported
      expect(updates.some((u) => u.status === 'completed')).toBe(false);
      expect(j.files).toEqual([]);
      // nothing of it counts as archived: no metadata.json, so a later retry downloads it again
      const keys: string[] = [];
      for await (const k of store.list(`${j.rowId}/`)) keys.push(k);
      expect(keys).toEqual([]);
    }
    await queue.close();
  }, 120_000);

  it('in a collection, an entry that fails its check is a failed entry: the others are stored, it is not', async () => {
    const t = makeCtx({ rowId: '7' });
    const r = await createYtDlpSource({ allowedHosts: [host.host], socketTimeoutS: 10 }).archive(host.extraUrl('mixed.html'), t.ctx);
    expect(r.mediaIds).toHaveLength(1);
    expect(r.mediaIds[0]).toMatch(/^playlist:/);
    expect(r.error?.category).toBe('system');
    expect(r.error?.message).toMatch(
      /^1 of 2 playlist entries failed: stored media [\w.-]+\.mp4 is \d+\.\d s long but its header says 10\.0 s/,
    );
    // only the whole clip was stored: one media file, of the whole clip's size, and one entry metadata.json
    const mp4 = r.files.filter((f) => f.key.endsWith('.mp4'));
    expect(mp4.map((f) => f.size)).toEqual([statSync(clip()).size]);
    const keys: string[] = [];
    for await (const k of t.store.list('7/')) keys.push(k);
    expect(keys.filter((k) => k.endsWith('.mp4'))).toEqual(mp4.map((f) => f.key));
    expect(keys.filter((k) => k.endsWith('/metadata.json') && !k.includes('playlist'))).toHaveLength(1);
    const list = JSON.parse((await t.store.getText(r.files[r.files.length - 1]!.key)) ?? '{}') as {
      extra?: { entries?: { mediaId: string; status: string }[] };
    };
    expect(list.extra?.entries?.map((e) => e.status).sort()).toEqual(['archived', 'failed']);
  }, 60_000);
});
