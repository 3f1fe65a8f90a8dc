/**
 * archive_options on the worker (design §1, issue 7 item 7): the job carries the row's options
 * (queue, idempotency key, dispatch), and the yt-dlp source honours them over the dispatch
 * options — audio only, transcript only, sub-langs, max height, comments → comments.json.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowArchiveOptions } from '../../shared/archiveOptions.js';
import { DispatchOptionsSchema, DispatchRequestSchema } from '../../shared/schemas.js';
import { idempotencyKey } from '../../worker/src/jobs/ids.js';
import { migrate } from '../../worker/src/jobs/migrate.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { JOBS_COMPONENT, JOBS_MIGRATIONS } from '../../worker/src/jobs/sqliteSchema.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { jobsOfDispatch } from '../../worker/src/server/app.js';
import { buildDownloadArgs, createYtDlpSource, findYtDlp, holdsMode, itemOptions } from '../../worker/src/sources/ytdlp/index.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { makeCtx } from './helpers.js';

const dispatch = (o: Partial<ReturnType<typeof DispatchOptionsSchema.parse>> = {}) => DispatchOptionsSchema.parse(o);

describe('itemOptions: the row wins over the dispatch', () => {
  it('maps mode, max_height, subs and comments', async () => {
    expect(itemOptions({ options: dispatch() })).toEqual({ mode: 'video', maxHeight: 1080 });
    expect(itemOptions({ options: dispatch({ transcriptOnly: true }) })).toMatchObject({ mode: 'transcript' });
    expect(itemOptions({ options: dispatch({ audioOnly: true }) })).toMatchObject({ mode: 'audio' });
    // the row overrides every dispatch choice
    expect(
      itemOptions({ options: dispatch({ transcriptOnly: true, maxHeight: 720 }), archiveOptions: { mode: 'audio', maxHeight: 360 } }),
    ).toEqual({ mode: 'audio', maxHeight: 360 });
    expect(itemOptions({ options: dispatch({ audioOnly: true }), archiveOptions: { mode: 'video' } })).toMatchObject({ mode: 'video' });
    expect(itemOptions({ options: dispatch() }, { subLangs: 'en.*' })).toMatchObject({ subLangs: 'en.*' });
    expect(itemOptions({ options: dispatch(), archiveOptions: { subs: ['pt-BR', '-live_chat'] } }, { subLangs: 'en.*' })).toMatchObject({
      subLangs: 'pt-BR,-live_chat',
    });
    // comments only when the row asks, capped by ARCHIVER_MAX_COMMENTS (default 500)
    expect(itemOptions({ options: dispatch(), archiveOptions: { comments: false } }).maxComments).toBeUndefined();
    expect(itemOptions({ options: dispatch(), archiveOptions: { comments: true } }).maxComments).toBe(500);
    expect(itemOptions({ options: dispatch(), archiveOptions: { comments: true } }, { maxComments: 20 }).maxComments).toBe(20);
  });

  it('builds the yt-dlp arguments for each option', async () => {
    const base = {
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      playlist: false,
      socketTimeoutS: 30,
      maxHeight: 1080,
      transcriptOnly: false,
      audioOnly: false,
    };
    const yt = ['youtube', 'youtube:tab', 'youtube:playlist'];
    const comments = buildDownloadArgs({ ...base, extractors: yt, maxComments: 20, subLangs: 'pt-BR,en' });
    expect(comments).toContain('--write-comments');
    expect(comments.slice(comments.indexOf('--extractor-args'), comments.indexOf('--extractor-args') + 2)).toEqual([
      '--extractor-args',
      'youtube:max_comments=20',
    ]);
    expect(comments.slice(comments.indexOf('--sub-langs'), comments.indexOf('--sub-langs') + 2)).toEqual(['--sub-langs', 'pt-BR,en']);
    // other extractors take no cap argument: the cap applies when storing
    const generic = buildDownloadArgs({ ...base, extractors: ['generic', 'html5'], maxComments: 20 });
    expect(generic).toContain('--write-comments');
    expect(generic).not.toContain('--extractor-args');
    const plain = buildDownloadArgs({ ...base, extractors: yt });
    expect(plain).not.toContain('--write-comments');
    const audio = buildDownloadArgs({ ...base, extractors: yt, audioOnly: true });
    expect(audio.slice(audio.indexOf('-f'), audio.indexOf('-f') + 2)).toEqual(['-f', 'ba/b']);
    expect(audio).toContain('--extract-audio');
    const low = buildDownloadArgs({ ...base, extractors: yt, maxHeight: 360 });
    expect(low[low.indexOf('-f') + 1]).toContain('height<=?360');
    const transcript = buildDownloadArgs({ ...base, extractors: yt, transcriptOnly: true });
    expect(transcript).toContain('--skip-download');
    expect(transcript).not.toContain('-f');
  });
});

describe('the job carries the row options', () => {
  const parts = { spreadsheetId: 's', sheetId: 0, rowId: '151', source: 'youtube' as const, links: ['https://youtu.be/dQw4w9WgXcQ'] };

  it('idempotency: a row without options keeps its old key; other options are other work', async () => {
    const legacy = idempotencyKey(parts);
    expect(idempotencyKey({ ...parts, archiveOptions: {} })).toBe(legacy);
    const audio = idempotencyKey({ ...parts, archiveOptions: { mode: 'audio' } });
    expect(audio).not.toBe(legacy);
    expect(idempotencyKey({ ...parts, archiveOptions: { mode: 'audio', maxHeight: 360 } })).not.toBe(audio);
    // the same options in another key order are the same work
    expect(idempotencyKey({ ...parts, archiveOptions: { comments: true, mode: 'audio' } })).toBe(
      idempotencyKey({ ...parts, archiveOptions: { mode: 'audio', comments: true } }),
    );
  });

  const newJob = (archiveOptions?: RowArchiveOptions): NewJob => ({
    dispatchId: 'd',
    spreadsheetId: 's',
    sheetId: 0,
    sheetName: 'People',
    rowId: '151',
    rowNumber: 2,
    name: 'Ana Souza',
    email: '',
    type: 'FF-Fi/Se-CP/B(S) #4',
    source: 'youtube',
    links: parts.links,
    attempt: 1,
    options: dispatch(),
    ...(archiveOptions ? { archiveOptions } : {}),
  });

  it('the queue stores them, and dispatching the same row with other options makes a second job', async () => {
    const q = new SqliteJobBackend(':memory:');
    const [a] = await q.enqueue([newJob({ mode: 'audio', subs: ['en'] })]);
    expect(a!.created).toBe(true);
    expect((await q.get(a!.job.jobId))!.archiveOptions).toEqual({ mode: 'audio', subs: ['en'] });
    expect((await q.enqueue([newJob({ mode: 'audio', subs: ['en'] })]))[0]).toMatchObject({ created: false, job: { jobId: a!.job.jobId } });
    const [b] = await q.enqueue([newJob({ mode: 'transcript' })]);
    expect(b!.created).toBe(true);
    const [c] = await q.enqueue([newJob()]);
    expect(c!.created).toBe(true);
    expect((await q.get(c!.job.jobId))!.archiveOptions).toBeUndefined();
    // the leased record (what the source sees) has them too
    expect((await q.lease('me', 10_000))!.job.archiveOptions).toEqual({ mode: 'audio', subs: ['en'] });
    await q.close();
  });

  it('a queue file from before options migrates, and its jobs read back without options', async () => {
    const db = new Database(':memory:');
    migrate(db, JOBS_COMPONENT, JOBS_MIGRATIONS.slice(0, 2)); // schema v2
    db.prepare(
      `INSERT INTO jobs (job_id, dispatch_id, idempotency_key, spreadsheet_id, sheet_id, sheet_name, row_id, row_number, name, email, type,
         source, links, options, status, attempt, max_attempts, ready_at, created_at, updated_at)
       VALUES ('j_old', 'd', ?, 's', 0, 'People', '151', 2, 'Ana', '', 't', 'youtube', ?, ?, 'queued', 1, 3, 1, 1, 1)`,
    ).run(idempotencyKey(parts), JSON.stringify(parts.links), JSON.stringify(dispatch()));
    const q = new SqliteJobBackend(db);
    expect((await q.get('j_old'))!.archiveOptions).toBeUndefined();
    // the old open job is still found by a dispatch of the same row without options
    expect((await q.enqueue([newJob()]))[0]).toMatchObject({ created: false, job: { jobId: 'j_old' } });
    expect(db.prepare("SELECT version FROM schema_versions WHERE component = 'jobs'").get()).toEqual({ version: JOBS_MIGRATIONS.length });
    await q.close();
    db.close();
  });

  it("a dispatch passes each row's options to its jobs; older requests without them stay valid", async () => {
    const req = DispatchRequestSchema.parse({
      dispatchId: '00000000-0000-4000-8000-000000000001',
      spreadsheetId: 's',
      sheetId: 0,
      sheetName: 'People',
      rows: [
        {
          rowId: '151',
          rowNumber: 2,
          youtube: parts.links,
          drive: ['https://drive.google.com/file/d/abc/view'],
          archiveOptions: { mode: 'audio' },
        },
        { rowId: '152', rowNumber: 3, youtube: parts.links },
      ],
    });
    const jobs = jobsOfDispatch(req);
    expect(jobs.map((j) => [j.rowId, j.source, j.archiveOptions])).toEqual([
      ['151', 'youtube', { mode: 'audio' }],
      ['151', 'drive', { mode: 'audio' }],
      ['152', 'youtube', undefined],
    ]);
    expect(
      DispatchRequestSchema.safeParse({ ...req, rows: [{ rowId: '1', rowNumber: 2, archiveOptions: { mode: 'loud' } }] }).success,
    ).toBe(false);
  });
});

describe('the yt-dlp source honours the row options (real yt-dlp)', () => {
  let host: MediaHost;
  let spawned: string[][] = [];
  beforeAll(async () => {
    host = await startMediaHost({ clipCount: 2 });
  }, 60_000);
  afterAll(async () => host?.close());
  const source = (over: Parameters<typeof createYtDlpSource>[0] | object = {}) =>
    createYtDlpSource({ allowedHosts: [host.host], socketTimeoutS: 10, onSpawn: (a) => spawned.push(a), ...over });

  const streamsOf = (file: string) =>
    spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);

  it('mode=audio over a video dispatch stores audio only', async () => {
    const t = makeCtx();
    t.ctx.job.archiveOptions = { mode: 'audio' };
    const r = await source().archive(host.pageUrl('clip01'), t.ctx);
    const media = r.files.filter((f) => /\.(m4a|mp4|webm|mp3|opus)$/.test(f.key));
    expect(media.map((f) => f.key.split('/').pop())).toEqual([`${r.mediaIds[0]}.m4a`]);
    expect(streamsOf(t.store.pathOf(media[0]!.key))).toEqual(['audio']);
  });

  it('mode=transcript over a video dispatch stores subtitles and info only; subs= sets --sub-langs', async () => {
    spawned = [];
    const t = makeCtx({ options: { audioOnly: true } });
    t.ctx.job.archiveOptions = { mode: 'transcript', subs: ['en'] };
    const r = await source({ subLangs: 'pt' }).archive(host.pageUrl('clip02'), t.ctx);
    const names = r.files.map((f) => f.key.split('/').pop()!);
    expect(names.filter((n) => /\.(m4a|mp4|jpg)$/.test(n))).toEqual([]);
    const id = r.mediaIds[0]!;
    expect(names).toEqual(expect.arrayContaining([`${id}.en.vtt`, `${id}.info.json`, 'metadata.json']));
    const run = spawned.find((a) => a.includes('--skip-download'))!;
    expect(run[run.indexOf('--sub-langs') + 1]).toBe('en');
  });

  it('an item archived as a transcript is fetched again for mode=video; a stored video serves mode=audio as it is', async () => {
    const t = makeCtx();
    const mediaOf = (r: { files: { key: string }[] }) => r.files.filter((f) => /\.(m4a|mp4|webm|mp3|opus)$/.test(f.key));
    t.ctx.job.archiveOptions = { mode: 'transcript' };
    const first = await source().archive(host.pageUrl('clip01'), t.ctx);
    expect(mediaOf(first)).toEqual([]);

    spawned = [];
    t.ctx.job.archiveOptions = { mode: 'video' };
    const video = await source().archive(host.pageUrl('clip01'), t.ctx);
    expect(video.mediaIds).toEqual(first.mediaIds); // the same media folder, now with the video
    expect(mediaOf(video).map((f) => f.key.split('/').pop())).toEqual([`${video.mediaIds[0]}.mp4`]);
    expect(streamsOf(t.store.pathOf(mediaOf(video)[0]!.key)).sort()).toEqual(['audio', 'video']);
    expect(spawned.some((a) => !a.includes('--skip-download') && a.includes('-f'))).toBe(true);
    const meta = JSON.parse(readFileSync(t.store.pathOf(video.files.find((f) => f.key.endsWith('metadata.json'))!.key), 'utf8'));
    expect((meta as MediaMetadata).files.map((f) => f.key)).toEqual(expect.arrayContaining(mediaOf(video).map((f) => f.key)));

    // the playlist path: its stored transcript entries are left out of --download-archive, so they come again
    const p = makeCtx();
    p.ctx.job.archiveOptions = { mode: 'transcript' };
    expect(mediaOf(await source().archive(host.playlistUrl(), p.ctx))).toEqual([]);
    p.ctx.job.archiveOptions = { mode: 'video' };
    const list = await source().archive(host.playlistUrl(), p.ctx);
    // both entries of the host's playlist, now as videos
    expect(mediaOf(list).map((f) => f.key.slice(f.key.lastIndexOf('.')))).toEqual(['.mp4', '.mp4']);

    // a video holds the audio: nothing is fetched for mode=audio
    spawned = [];
    t.ctx.job.archiveOptions = { mode: 'audio' };
    const audio = await source().archive(host.pageUrl('clip01'), t.ctx);
    expect(audio.files.map((f) => f.key).sort()).toEqual(video.files.map((f) => f.key).sort());
    expect(spawned).toEqual([]);
    expect(holdsMode({ files: [{ key: 'r/youtube/x/x.en.vtt' }] } as MediaMetadata, 'audio')).toBe(false);
    expect(holdsMode({ files: [{ key: 'r/youtube/x/x.m4a' }] } as MediaMetadata, 'audio')).toBe(true);
    expect(holdsMode({ files: [{ key: 'r/youtube/x/x.m4a' }] } as MediaMetadata, 'video')).toBe(false);
    expect(holdsMode({ files: [] } as unknown as MediaMetadata, 'transcript')).toBe(true);
  }, 120_000);

  it('comments=yes: comments.json capped at ARCHIVER_MAX_COMMENTS, listed in metadata.json as kind comments', async () => {
    // The generic extractor has no comments, and YouTube cannot be reached here. This stand-in runs
    // the real yt-dlp, then adds a `comments` list to each info JSON as YouTube's extractor does
    // with --write-comments (yt-dlp README, "comments" in the output template fields: a list of
    // {id, text, author, parent, timestamp, like_count…}), and records its arguments.
    const real = findYtDlp()!;
    const dir = makeCtx().workDir;
    const argvFile = join(dir, 'argv.json');
    const wrapper = join(dir, 'yt-dlp-with-comments');
    writeFileSync(
      wrapper,
      `#!${process.execPath}
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const args = process.argv.slice(2);
if (!args.includes('--version')) fs.writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(args));
const r = spawnSync(${JSON.stringify(real)}, args, { stdio: 'inherit' });
for (const f of fs.readdirSync('.').filter((n) => n.endsWith('.info.json'))) {
  const info = JSON.parse(fs.readFileSync(f, 'utf8'));
  info.comments = Array.from({ length: 7 }, (_, i) => ({ id: 'c' + i, parent: 'root', text: 'comment ' + i, author: 'person ' + i, timestamp: 1767225600 + i }));
  info.comment_count = 7;
  fs.writeFileSync(f, JSON.stringify(info));
}
process.exit(r.status ?? 1);
`,
    );
    chmodSync(wrapper, 0o755);
    const t = makeCtx();
    t.ctx.job.archiveOptions = { comments: true };
    const r = await source({ ytdlpPath: wrapper, maxComments: 5 }).archive(host.pageUrl('clip01'), t.ctx);
    expect(JSON.parse(readFileSync(argvFile, 'utf8'))).toContain('--write-comments');
    const key = r.files.find((f) => f.key.endsWith('/comments.json'))!.key;
    expect(key).toBe(`151/youtube/${r.mediaIds[0]}/comments.json`);
    const stored = JSON.parse(readFileSync(t.store.pathOf(key), 'utf8'));
    expect(stored).toMatchObject({ mediaId: r.mediaIds[0], sourceCount: 7, kept: 5, max: 5 });
    expect(stored.comments.map((c: { id: string }) => c.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    const meta = JSON.parse((await t.store.getText(`151/youtube/${r.mediaIds[0]}/metadata.json`))!) as MediaMetadata;
    expect(meta.files.find((f) => f.key === key)).toMatchObject({ kind: 'comments' });
    expect(meta.files.find((f) => f.key.endsWith('.mp4'))).toMatchObject({ kind: 'media' });
    expect(meta.files.find((f) => f.key.endsWith('.vtt'))).toMatchObject({ kind: 'subtitles' });

    // without comments=yes, nothing is asked and no comments.json is stored
    const plain = makeCtx();
    const p = await source({ ytdlpPath: wrapper, maxComments: 5 }).archive(host.pageUrl('clip02'), plain.ctx);
    expect(JSON.parse(readFileSync(argvFile, 'utf8'))).not.toContain('--write-comments');
    expect(p.files.some((f) => f.key.endsWith('comments.json'))).toBe(false);
  });
});
