/**
 * The reprocess steps on their own (pipeline/executeReprocess.ts), on media ffmpeg makes here and a
 * local store holding it as an archive would: a non-AAC audio track is encoded to MP3, stored bytes
 * that differ from metadata.json fail the job as data_corruption and leave metadata.json alone, and
 * the step list is open (an added step's file is recorded like the built-in ones).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/schemas.js';
import { silentLogger } from '../../worker/src/log.js';
import { executeReprocess } from '../../worker/src/pipeline/executeReprocess.js';
import { audioPlan, extractAudio, regenerateMetadata } from '../../worker/src/pipeline/reprocess/steps.js';
import type { ReprocessStep } from '../../worker/src/pipeline/reprocess/types.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { readMetadata, writeMetadata, type MediaMetadata } from '../../worker/src/storage/metadata.js';
import { downloadObject } from '../../worker/src/storage/read.js';
import { testJob } from '../support/jobs.js';

let dir: string;
let store: LocalStore;
const KEY = '42/youtube/vid1/metadata.json';

function job(): JobRecord {
  return testJob({
    jobId: 'j_TEST',
    spreadsheetId: 'ss',
    rowId: '42',
    rowNumber: 2,
    name: '',
    email: '',
    type: 'T',
    source: 'youtube',
    kind: 'reprocess',
    links: [KEY],
  });
}

/** Stores a webm (VP8 + Vorbis, made by ffmpeg) and its metadata.json as the pipeline would. */
async function storeArchive(): Promise<MediaMetadata> {
  const src = join(dir, 'vid1.webm');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=10:duration=1',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=300:duration=1',
    '-c:v',
    'libvpx',
    '-b:v',
    '100k',
    '-c:a',
    'libvorbis',
    '-shortest',
    src,
  ]);
  const video = await store.putFile('42/youtube/vid1/vid1.webm', src, { rowId: '42' });
  const meta: MediaMetadata = {
    schema: 1,
    row: { rowId: '42', name: '', email: '', type: 'T', spreadsheetId: 'ss', sheetId: 0, sheetName: 'People' },
    source: 'youtube',
    mediaId: 'vid1',
    url: 'https://www.youtube.com/watch?v=vid1',
    files: [{ key: video.key, size: video.size, sha256: video.sha256, kind: 'media' }],
    archivedAt: '2026-01-01T00:00:00Z',
    tools: {},
  };
  await writeMetadata(store, '', meta);
  return meta;
}

const deps = () => ({ store, prefix: '', workRoot: join(dir, 'work'), log: silentLogger });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-resteps-'));
  store = new LocalStore(join(dir, 'archive'));
  await storeArchive();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reprocess steps', () => {
  it('plans stream copy for AAC and MP3, libmp3lame for anything else', () => {
    expect(audioPlan('aac')).toMatchObject({ ext: 'm4a', args: ['-c:a', 'copy', '-movflags', '+faststart'] });
    expect(audioPlan('mp3')).toMatchObject({ ext: 'mp3', args: ['-c:a', 'copy'] });
    expect(audioPlan('opus')).toMatchObject({ ext: 'mp3', args: ['-c:a', 'libmp3lame', '-q:a', '2'] });
  });

  it('encodes a Vorbis track to an audio-only MP3 and records it, through an open step list', async () => {
    const note: ReprocessStep = {
      name: 'note',
      async run(ctx) {
        const p = join(ctx.workDir, 'out', 'vid1.note.txt');
        writeFileSync(p, 'added by a later step\n');
        return {
          status: 'done',
          files: [(await ctx.addFile('vid1.note.txt', p, { kind: 'transcript', from: ctx.metadataKey, contentType: 'text/plain' })).key],
        };
      },
    };
    const out = await executeReprocess(
      job(),
      { ...deps(), steps: [extractAudio, note, regenerateMetadata] },
      new AbortController().signal,
      () => undefined,
    );
    expect(out.error).toBeNull();
    expect(out.files.sort()).toEqual(['42/youtube/vid1/metadata.json', '42/youtube/vid1/vid1.mp3', '42/youtube/vid1/vid1.note.txt']);
    expect(out.mediaIds).toEqual(['vid1']);
    const local = join(dir, 'got.mp3');
    await downloadObject(store, '42/youtube/vid1/vid1.mp3', local);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'csv=p=0', local], {
      encoding: 'utf8',
    }).trim();
    expect(probe).toBe('mp3,audio');
    const meta = (await readMetadata(store, KEY))!;
    expect(meta.files.map((f) => [f.key, f.kind])).toEqual([
      ['42/youtube/vid1/vid1.webm', 'media'],
      ['42/youtube/vid1/vid1.mp3', 'audio'],
      ['42/youtube/vid1/vid1.note.txt', 'transcript'],
    ]);
  }, 60_000);

  it('fails as data_corruption when a stored file differs from metadata.json, and leaves metadata.json as it was', async () => {
    const before = await store.getText(KEY);
    const path = store.pathOf('42/youtube/vid1/vid1.webm');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(path, bytes);
    const out = await executeReprocess(job(), deps(), new AbortController().signal, () => undefined);
    expect(out.error?.category).toBe('data_corruption');
    expect(out.error?.message).toContain('vid1.webm');
    expect(await store.getText(KEY)).toBe(before);
  }, 60_000);

  it('fails as not_found when the folder has no metadata.json', async () => {
    const j = { ...job(), links: ['42/youtube/gone/metadata.json'] };
    const out = await executeReprocess(j, deps(), new AbortController().signal, () => undefined);
    expect(out.error?.category).toBe('not_found');
  });
});
