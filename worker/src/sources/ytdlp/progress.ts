/**
 * Parsing what yt-dlp prints for us (see args.ts): progress lines and finished-item lines.
 */
import { isAbsolute, resolve } from 'node:path';
import type { JobProgress } from '../../../../shared/schemas.js';
import { ITEM_MARK, LIST_MARK, PROGRESS_MARK, START_MARK } from './args.js';

/** One `--progress-template` line. Bytes are bytes, speed bytes/s, eta seconds. */
export interface ProgressEvent {
  status: 'downloading' | 'finished' | 'error' | string;
  itemId?: string;
  downloadedBytes?: number;
  totalBytes?: number;
  /** bytes/s */
  speed?: number;
  /** seconds */
  eta?: number;
}

/** One finished item (a video with its files), from the `after_video` print. Paths are absolute. */
export interface DownloadedItem {
  /** the media id (design §1): yt-dlp's id, or one derived from the URL when that is generic (mediaIds.ts) */
  id: string;
  /** yt-dlp's own id, when it differs from `id` (the download archive knows items by it) */
  ytdlpId?: string;
  title?: string;
  extractorKey?: string;
  webpageUrl?: string;
  playlistId?: string;
  playlistIndex?: number;
  /** the media file(s); may not exist (transcript only) — check before use */
  mediaPaths: string[];
  infoJsonPath?: string;
  /** lang → path */
  subtitlePaths: Record<string, string>;
  thumbnailPaths: string[];
}

function json(s: string | undefined): unknown {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== 'NA' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Parses a `[sa:progress] {…}\t"id"` line; null for any other line. */
export function parseProgressLine(line: string): ProgressEvent | null {
  const i = line.indexOf(PROGRESS_MARK);
  if (i < 0) return null;
  const [p, id] = line.slice(i + PROGRESS_MARK.length).split('\t');
  const o = json(p);
  if (!o || typeof o !== 'object') return null;
  const r = obj(o);
  return {
    status: str(r['status']) ?? 'downloading',
    itemId: str(json(id)),
    downloadedBytes: num(r['downloaded_bytes']),
    totalBytes: num(r['total_bytes']) ?? num(r['total_bytes_estimate']),
    speed: num(r['speed']),
    eta: num(r['eta']),
  };
}

/**
 * Parses a `[sa:item] {…}\t[…]\t{…}\t[…]` line (after_video print); null for any other line.
 * @param cwd yt-dlp's working directory: relative paths are resolved against it.
 */
export function parseItemLine(line: string, cwd: string): DownloadedItem | null {
  const i = line.indexOf(ITEM_MARK);
  if (i < 0) return null;
  const [head, downloads, subs, thumbs] = line.slice(i + ITEM_MARK.length).split('\t');
  const h = obj(json(head));
  const id = str(h['id']);
  if (!id) return null;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dl = Array.isArray(json(downloads)) ? (json(downloads) as unknown[]).map(obj) : [];
  const mediaPaths = dl
    .map((d) => str(d['filepath']))
    .filter((p): p is string => !!p)
    .map(abs);
  const infoJson = dl.map((d) => str(d['infojson_filename'])).find(Boolean);
  const subtitlePaths: Record<string, string> = {};
  for (const [lang, s] of Object.entries(obj(json(subs)))) {
    const p = str(obj(s)['filepath']);
    if (p) subtitlePaths[lang] = abs(p);
  }
  const t = json(thumbs);
  const thumbnailPaths = (Array.isArray(t) ? t : [])
    .map(str)
    .filter((p): p is string => !!p)
    .map(abs);
  return {
    id,
    title: str(h['title']),
    extractorKey: str(h['extractor_key']),
    webpageUrl: str(h['webpage_url']),
    playlistId: str(h['playlist_id']),
    playlistIndex: num(h['playlist_index']),
    mediaPaths,
    infoJsonPath: infoJson ? abs(infoJson) : undefined,
    subtitlePaths,
    thumbnailPaths,
  };
}

/** An entry yt-dlp started fetching (`[sa:start]`, after the archive and filters let it through). */
export interface StartedEntry {
  id: string;
  extractorKey?: string;
  webpageUrl?: string;
  playlistIndex?: number;
  /** entries of the playlist it belongs to, archived ones included */
  nEntries?: number;
}

/** Parses a `[sa:start] {…}` line; null for any other line. */
export function parseStartLine(line: string): StartedEntry | null {
  const i = line.indexOf(START_MARK);
  if (i < 0) return null;
  const h = obj(json(line.slice(i + START_MARK.length)));
  const id = str(h['id']);
  if (!id) return null;
  return {
    id,
    extractorKey: str(h['extractor_key']),
    webpageUrl: str(h['webpage_url']),
    playlistIndex: num(h['playlist_index']),
    nEntries: num(h['n_entries']),
  };
}

/** A playlist, channel tab or multi-video page yt-dlp went through (`[sa:list]`). */
export interface ListedCollection {
  id: string;
  title?: string;
  uploader?: string;
  extractorKey?: string;
  webpageUrl?: string;
  /** entries it has (all of them, not only those fetched) */
  count?: number;
}

/** Parses a `[sa:list] {…}` line; null for any other line. */
export function parseListLine(line: string): ListedCollection | null {
  const i = line.indexOf(LIST_MARK);
  if (i < 0) return null;
  const h = obj(json(line.slice(i + LIST_MARK.length)));
  const id = str(h['id']);
  if (!id) return null;
  return {
    id,
    title: str(h['title']),
    uploader: str(h['uploader']) ?? str(h['channel']),
    extractorKey: str(h['extractor_key']),
    webpageUrl: str(h['webpage_url']),
    count: num(h['playlist_count']),
  };
}

/**
 * Turns per-download progress into progress across a run of `expectedItems` items, 0…1, never
 * going backwards (a video and its audio are two downloads of one item).
 */
export class ProgressTracker {
  private done = 0;
  private last = 0;

  constructor(
    private expectedItems: number,
    private readonly emit: (p: JobProgress) => void,
  ) {}

  /** The number of items to fetch became known (a playlist's first entry started). */
  expect(items: number): void {
    if (items > 0) this.expectedItems = Math.max(this.done, items);
  }

  /** An item finished (its `[sa:item]` line arrived). */
  itemDone(id: string): void {
    this.done = Math.min(this.expectedItems, this.done + 1);
    this.push({ fraction: this.done / Math.max(1, this.expectedItems), message: `archived ${id}` });
  }

  /** A progress line arrived. */
  progress(e: ProgressEvent): void {
    const part = e.totalBytes && e.downloadedBytes !== undefined ? Math.min(1, e.downloadedBytes / e.totalBytes) : 0;
    const fraction = (this.done + part) / Math.max(1, this.expectedItems);
    this.push({
      fraction,
      bytes: e.downloadedBytes,
      totalBytes: e.totalBytes,
      speed: e.speed,
      message: e.itemId ? `downloading ${e.itemId}` : 'downloading',
    });
  }

  private push(p: JobProgress): void {
    // keep the last fraction reserved for uploads: 0.95 at most while downloading
    const f = Math.min(0.95, Math.max(this.last, p.fraction));
    this.last = f;
    const out: JobProgress = { fraction: f };
    if (p.bytes !== undefined) out.bytes = p.bytes;
    if (p.totalBytes !== undefined) out.totalBytes = p.totalBytes;
    if (p.speed !== undefined) out.speed = p.speed;
    if (p.message !== undefined) out.message = p.message;
    this.emit(out);
  }
}
