/**
 * Honest completion (issue 7 item 8): before an item is stored — and so before its job can be
 * completed — check that what yt-dlp left is what was asked for. yt-dlp can exit 0 with a file
 * cut short (a server that closed early, a broken merge) or without the audio track.
 *
 * Checks, each failing as `system` (retried: design §4) with a message saying what is wrong:
 * - ffprobe reads every media file;
 * - its real length — the end of its last readable packet, not the container header, which a
 *   cut MP4 with its index in front still states in full — is within 2 % (at least 2 s) of
 *   info.json's `duration` (or of the header's, when the source gives none);
 * - it has the streams asked for: video and audio (unless the source's format says it has none),
 *   or audio and no video in audio mode (cover art does not count as video);
 * - every subtitle file yt-dlp reported is non-empty, and WEBVTT when it is `.vtt`.
 * Transcript mode has no media: only the subtitles are checked.
 */
import { spawn } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ArchiveError } from '../../errors.js';
import type { ArchiveMode } from './options.js';
import type { DownloadedItem } from './progress.js';

export interface VerifyOptions {
  /** the ffprobe executable; default next to `ffmpegLocation`, else `ffprobe` on PATH */
  ffprobePath?: string;
  /** yt-dlp's `--ffmpeg-location` (a folder or the ffmpeg binary): ffprobe is looked for beside it */
  ffmpegLocation?: string;
  signal?: AbortSignal;
  /** ms per ffprobe run; default 120000 */
  timeoutMs?: number;
}

/** Allowed difference between stored and source length: 2 %, and never less than 2 s (seconds). */
export function durationTolerance(expectedS: number): number {
  return Math.max(2, 0.02 * expectedS);
}

/** The ffprobe to run: explicit, else beside yt-dlp's ffmpeg, else PATH. */
export function ffprobeFor(o: Pick<VerifyOptions, 'ffprobePath' | 'ffmpegLocation'>): string {
  if (o.ffprobePath) return o.ffprobePath;
  if (o.ffmpegLocation) {
    const dir = /ffmpeg(\.exe)?$/i.test(basename(o.ffmpegLocation)) ? dirname(o.ffmpegLocation) : o.ffmpegLocation;
    return join(dir, 'ffprobe');
  }
  return 'ffprobe';
}

interface Probe {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ffprobe; `onLine` gets stdout line by line (kept out of `stdout` then, so memory stays flat). */
function ffprobe(bin: string, args: string[], o: VerifyOptions, onLine?: (l: string) => void): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-v', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    if (onLine) createInterface({ input: child.stdout }).on('line', onLine);
    else child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (o.signal?.aborted) return reject(o.signal.reason instanceof Error ? o.signal.reason : err);
      reject(
        err.code === 'ENOENT'
          ? new ArchiveError('system', `ffprobe not found (${bin}): the stored media cannot be checked; install ffmpeg (npm run setup)`)
          : new ArchiveError('system', `cannot run ffprobe: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The first line ffprobe printed on stderr, for messages. */
const firstLine = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ?? 'no output';

interface StreamFacts {
  video: number;
  audio: number;
  /** container duration, seconds */
  headerDuration?: number;
  /** end of the last packet read from `tailFromS` on, seconds; absent when no tail was asked */
  tailEnd?: number;
}

type Packet = { pts_time?: string; dts_time?: string; duration_time?: string };

/** The end time of a packet, seconds, or NaN. */
function packetEnd(pts: number, dts: number, dur: number): number {
  const t = Number.isFinite(pts) ? pts : dts;
  return t + (Number.isFinite(dur) ? dur : 0);
}

/**
 * One ffprobe run: the streams, the header's duration and, with `tailFromS`, the packets from that
 * time on (`-read_intervals <s>%`), so a complete file is never read whole.
 */
async function probeFile(bin: string, file: string, o: VerifyOptions, tailFromS?: number): Promise<StreamFacts> {
  const packets = tailFromS !== undefined ? ':packet=pts_time,dts_time,duration_time' : '';
  const entries = `format=duration:stream=codec_type:stream_disposition=attached_pic${packets}`;
  const args = ['-show_entries', entries, '-of', 'json'];
  if (tailFromS !== undefined) args.push('-read_intervals', `${Math.max(0, tailFromS).toFixed(3)}%`);
  const r = await ffprobe(bin, [...args, file], o);
  type Doc = {
    streams?: { codec_type?: string; disposition?: { attached_pic?: number } }[];
    format?: { duration?: string };
    packets?: Packet[];
  };
  let doc: Doc = {};
  try {
    doc = JSON.parse(r.stdout) as Doc;
  } catch {
    /* handled below */
  }
  const streams = doc.streams ?? [];
  // A cut file makes ffprobe exit non-zero only while reading packets: streams found still count.
  if (streams.length === 0 || (r.code !== 0 && tailFromS === undefined)) {
    throw new ArchiveError(
      'system',
      `stored media ${basename(file)} cannot be read (ffprobe: ${firstLine(r.stderr)}): the download is damaged`,
    );
  }
  const out: StreamFacts = {
    video: streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic).length,
    audio: streams.filter((s) => s.codec_type === 'audio').length,
  };
  const d = Number(doc.format?.duration);
  if (Number.isFinite(d) && d > 0) out.headerDuration = d;
  if (tailFromS !== undefined) {
    let end = 0;
    for (const p of doc.packets ?? []) {
      const e = packetEnd(Number(p.pts_time), Number(p.dts_time), Number(p.duration_time));
      if (Number.isFinite(e)) end = Math.max(end, e);
    }
    out.tailEnd = end;
  }
  return out;
}

/**
 * The end of the last packet ffprobe can read in the whole file, seconds (0 when none), streamed
 * line by line so memory stays flat whatever the length.
 */
async function packetsEnd(bin: string, file: string, o: VerifyOptions): Promise<number> {
  let end = 0;
  // fields in ffprobe's order: pts_time, dts_time, duration_time (N/A when unknown)
  await ffprobe(bin, ['-show_entries', 'packet=pts_time,dts_time,duration_time', '-of', 'csv=p=0', file], o, (line) => {
    const [pts, dts, dur] = line.split(',').map(Number);
    const e = packetEnd(pts!, dts!, dur!);
    if (Number.isFinite(e)) end = Math.max(end, e);
  });
  return end;
}

const fmt = (s: number) => `${s.toFixed(1)} s`;

/** Seconds before the expected end from which the tail is read. */
const tailStart = (expected: number) => expected - durationTolerance(expected) - 3;

/**
 * Checks one media file's length against `expected` seconds; `tailEnd` is what the tail read found.
 * @throws ArchiveError('system')
 */
async function checkLength(
  bin: string,
  file: string,
  expected: number,
  tailEnd: number | undefined,
  said: string,
  o: VerifyOptions,
): Promise<void> {
  const tol = durationTolerance(expected);
  let end = tailEnd ?? -Infinity;
  if (end < expected - tol) end = await packetsEnd(bin, file, o); // seek missed or file cut: measure it whole
  if (end < expected - tol) {
    throw new ArchiveError(
      'system',
      `stored media ${basename(file)} is ${fmt(end)} long but ${said} ${fmt(expected)}: the download was cut short`,
    );
  }
  if (end > expected + tol) {
    const what = `stored media ${basename(file)} is ${fmt(end)} long but ${said} ${fmt(expected)}`;
    throw new ArchiveError('system', `${what}: it is not the media the source describes`);
  }
}

async function fileSize(p: string): Promise<number | null> {
  try {
    const s = await stat(p);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/** Checks every subtitle file of an item. @throws ArchiveError('system') */
export async function verifySubtitles(paths: Record<string, string>): Promise<void> {
  for (const [lang, p] of Object.entries(paths)) {
    const size = await fileSize(p);
    if (size === null) throw new ArchiveError('system', `the ${lang} subtitles (${basename(p)}) were reported but not written`);
    if (size === 0) throw new ArchiveError('system', `the ${lang} subtitle file ${basename(p)} is empty`);
    if (!p.toLowerCase().endsWith('.vtt')) continue; // e.g. live_chat.json: not convertible to WebVTT
    const fh = await open(p, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(16), 0, 16, 0);
      // WebVTT: optional BOM, then "WEBVTT" followed by space, tab or a line end (W3C WebVTT §4.1)
      const head = buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
      if (!/^WEBVTT(?:[ \t\r\n]|$)/.test(head)) throw new ArchiveError('system', `the ${lang} subtitle file ${basename(p)} is not WebVTT`);
    } finally {
      await fh.close();
    }
  }
}

/** The facts of info.json that say what the source has. */
async function infoFacts(path: string | undefined): Promise<{ duration?: number; acodec?: string; vcodec?: string }> {
  if (!path) return {};
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const out: { duration?: number; acodec?: string; vcodec?: string } = {};
    if (typeof info['duration'] === 'number' && info['duration'] > 0) out.duration = info['duration'];
    if (typeof info['acodec'] === 'string') out.acodec = info['acodec'];
    if (typeof info['vcodec'] === 'string') out.vcodec = info['vcodec'];
    return out;
  } catch {
    return {};
  }
}

/**
 * Checks one downloaded item against what `mode` asked for.
 * @throws ArchiveError('system') naming the file and what is wrong; the abort reason when `signal` aborts.
 */
export async function verifyItem(item: DownloadedItem, mode: ArchiveMode, o: VerifyOptions = {}): Promise<void> {
  await verifySubtitles(item.subtitlePaths);
  if (mode === 'transcript') return;
  const bin = ffprobeFor(o);
  const info = await infoFacts(item.infoJsonPath);
  const media: string[] = [];
  for (const p of new Set(item.mediaPaths)) if ((await fileSize(p)) !== null) media.push(p);
  if (!media.length) throw new ArchiveError('system', `yt-dlp reported ${item.id} but wrote no media file`);

  let video = 0;
  let audio = 0;
  for (const file of media) {
    // with the source's duration known, one ffprobe run reads the streams and the file's tail
    let s = await probeFile(bin, file, o, info.duration !== undefined ? tailStart(info.duration) : undefined);
    if (info.duration === undefined && s.headerDuration !== undefined) s = await probeFile(bin, file, o, tailStart(s.headerDuration));
    video += s.video;
    audio += s.audio;
    const expected = info.duration ?? s.headerDuration;
    const said = info.duration !== undefined ? 'the source says' : 'its header says';
    if (expected !== undefined) await checkLength(bin, file, expected, s.tailEnd, said, o);
  }
  const name = basename(media[0]!);
  if (mode === 'audio') {
    if (!audio) throw new ArchiveError('system', `stored media ${name} has no audio stream, but audio was asked for`);
    if (video) throw new ArchiveError('system', `stored media ${name} has a video stream, but audio only was asked for`);
    return;
  }
  // The source's own format says when it has no audio (or no video): then none is expected.
  if (!video && info.vcodec !== 'none') {
    throw new ArchiveError('system', `stored media ${name} has no video stream, but video was asked for`);
  }
  if (!audio && info.acodec !== 'none') {
    throw new ArchiveError('system', `stored media ${name} has no audio stream, but video with audio was asked for`);
  }
}
