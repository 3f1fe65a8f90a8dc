/**
 * End to end: `archive_options` cells (design §1) through the built `sheet-archiver run` and
 * `validate`, with the real yt-dlp/ffmpeg on the local media host. A `mode=audio` row stores audio
 * only, a `mode=transcript` row no media, a row with bad tokens is not dispatched and `validate`
 * names it; a row whose download is cut short fails as `system` after its retry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';

let host: MediaHost;
let dir: string;
let csv: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-e2e-options-'));
  // 6 s clips: a cut copy is short by more than the 2 s tolerance
  host = await startMediaHost({ clipCount: 3, clipSeconds: 6 });
  csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    stringify([
      ['row_id', 'name', 'email', 'type', 'video', 'archive_options'],
      ['201', 'Ana Souza', 'ana@example.org', 'FF-Fi/Se-CP/B(S) #4', host.pageUrl('clip01'), 'mode=audio'],
      ['202', 'Bruno Oliveira', '', 'MF-Si/Te-BS/P(C) #3', host.pageUrl('clip02'), 'MODE=Transcript; subs=en'],
      ['203', 'Chen Wang', '', 'MM-Ne/Ti-CS/P(B) #1', host.pageUrl('clip03'), 'mode=loud max_height=99'],
      ['204', 'Dmitri Ivanov', '', 'FM-Te/Ni-SC/B(P) #2', host.describedPageUrl('clip01', 'cut'), ''],
      ['205', 'Émilie Dubois', '', 'FF-Ni/Fe-SB/C(P) #4', host.pageUrl('clip03'), ''],
    ]),
  );
  env = { ARCHIVER_DATA: join(dir, 'state'), ARCHIVER_ALLOWED_HOSTS: host.host, ARCHIVER_RETRY_SCALE: '0.01' };
}, 120_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const streams = (file: string) =>
  spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .sort();

describe('archive_options through sheet-archiver run', () => {
  it('audio only, transcript only, a bad row skipped, a cut download failed; validate names the bad tokens', async () => {
    const out = join(dir, 'archive');
    const res = await runCli(['run', csv, '--out', out, '--concurrency', '2', '--json'], env, 180_000);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout) as {
      skipped: { rowNumber: number; rowId: string; message: string }[];
      failed: { rowId: string; error: string }[];
    };
    expect(summary.skipped).toEqual([
      expect.objectContaining({ rowNumber: 4, rowId: '203', message: expect.stringContaining('"mode=loud"') }),
      expect.objectContaining({ rowNumber: 4, rowId: '203', message: expect.stringContaining('"max_height=99"') }),
    ]);

    const rows = parse(readFileSync(csv), { columns: true }) as Record<string, string>[];
    const byId = (id: string) => rows.find((r) => r['row_id'] === id)!;
    const files = (id: string) => byId(id)['youtube_files']!.split(',').filter(Boolean);

    // mode=audio: one audio-only file beside the subtitles and info JSON
    expect(byId('201')['youtube_status']).toBe('completed');
    const audio = files('201').filter((k) => /\.(m4a|mp4|webm|opus|mp3)$/.test(k));
    expect(audio).toHaveLength(1);
    expect(audio[0]).toMatch(/\.m4a$/);
    expect(streams(join(out, audio[0]!))).toEqual(['audio']);

    // mode=transcript (case-insensitive): subtitles and info, no media, no thumbnail
    expect(byId('202')['youtube_status']).toBe('completed');
    expect(files('202').some((k) => k.endsWith('.en.vtt'))).toBe(true);
    expect(files('202').some((k) => k.endsWith('.info.json'))).toBe(true);
    expect(files('202').filter((k) => /\.(m4a|mp4|webm|jpg)$/.test(k))).toEqual([]);

    // bad tokens: never dispatched, tracking cells untouched
    for (const c of ['youtube_status', 'youtube_files', 'last_download_attempt', 'download_errors']) expect(byId('203')[c], c).toBe('');

    // a download cut short is retried once (system) and reported failed, never completed
    expect(byId('204')['youtube_status']).toBe('failed');
    expect(byId('204')['youtube_files']).toBe('');
    expect(byId('204')['download_errors']).toMatch(
      /^youtube#2 system: stored media \S+\.mp4 is \d+\.\d s long but the source says 6\.0 s: the download was cut short$/,
    );

    // no options: the dispatch default, video with audio
    expect(byId('205')['youtube_status']).toBe('completed');
    const video = files('205').filter((k) => k.endsWith('.mp4'));
    expect(video).toHaveLength(1);
    expect(streams(join(out, video[0]!))).toEqual(['audio', 'video']);

    // validate names the row and each bad token, and exits 1
    const v = await runCli(['validate', csv], env);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/^4\s+203\s+bad_options\s+archive_options "mode=loud": mode must/m);
    expect(v.stdout).toMatch(/^4\s+203\s+bad_options\s+archive_options "max_height=99": max_height must/m);
    const j = await runCli(['validate', csv, '--json'], env);
    expect(j.code).toBe(1);
    const issues = (JSON.parse(j.stdout) as { issues: { kind: string; rowNumber: number; rowId: string; message: string }[] }).issues;
    expect(issues.filter((i) => i.kind === 'bad_options')).toEqual([
      {
        kind: 'bad_options',
        rowNumber: 4,
        rowId: '203',
        message: 'archive_options "mode=loud": mode must be one of video, audio, transcript',
      },
      {
        kind: 'bad_options',
        rowNumber: 4,
        rowId: '203',
        message: 'archive_options "max_height=99": max_height must be between 144 and 4320',
      },
    ]);
  }, 200_000);
});
