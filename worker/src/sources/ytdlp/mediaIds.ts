/**
 * Media ids of what yt-dlp archives (design §1, §5) and the download-archive lines that let yt-dlp
 * skip what storage already holds.
 *
 * yt-dlp's generic extractor names a direct link after its file name: two HLS streams at
 * `/a/index.m3u8` and `/b/index.m3u8` are both `index`, and a multi-video page `/x/playlist.html`
 * gives `playlist`, `playlist-1`, … whatever the folder. Such a generic id gets a short hash of
 * its URL, so two links in one row never share a media folder, and the same link always maps to
 * the same id (retries find it again). A feed's playlist id is its URL: it becomes its file name
 * with the same hash.
 */
import { createHash } from 'node:crypto';

/** File names that say nothing about the media (manifests, players, default names). */
const GENERIC_NAMES = new Set([
  'index',
  'master',
  'playlist',
  'manifest',
  'chunklist',
  'prog_index',
  'media',
  'main',
  'video',
  'videos',
  'stream',
  'live',
  'default',
  'output',
  'mono',
  'audio',
  'source',
  'file',
  'download',
  'embed',
  'watch',
  'player',
  'hls',
  'dash',
  'play',
]);
/** Extractors that take an id from the URL rather than from the site. */
const URL_NAMED_EXTRACTORS = new Set(['generic', 'html5mediaembed']);
const MANIFEST = /\.(m3u8|mpd|f4m|ism)$/i;
const IS_URL = /^https?:\/\//i;

/** The last path segment of a URL without its extension (`…/index.m3u8?x` → `index`). */
function basenameOf(url: string): string {
  const path = url.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const last = decodeURIComponentSafe(path.slice(path.lastIndexOf('/') + 1));
  return last.replace(/\.[^.]*$/, '');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** 10 hex digits of SHA-256 of the URL without its fragment: stable across runs, distinct per link. */
export function urlHash(url: string): string {
  return createHash('sha256').update(url.replace(/#.*$/, '')).digest('hex').slice(0, 10);
}

/**
 * True when `id` is a name yt-dlp made up from the URL rather than the site's own id: a generic
 * file name (`index`, `master`, `playlist`, …, also with yt-dlp's `-N` entry suffix), or the
 * base name of a streaming manifest (`stream7.m3u8` → `stream7`).
 */
export function isGenericId(id: string, extractorKey: string | undefined, url: string | undefined): boolean {
  if (IS_URL.test(id)) return true; // a feed's playlist id is its URL
  if (!URL_NAMED_EXTRACTORS.has((extractorKey ?? 'generic').toLowerCase())) return false;
  if (GENERIC_NAMES.has(id.replace(/-\d+$/, '').toLowerCase())) return true;
  return !!url && MANIFEST.test(url.replace(/[?#].*$/, '')) && basenameOf(url) === id;
}

/**
 * The media id of one item: yt-dlp's id, or `<id>-<hash of its URL>` when that id is generic.
 * @param url the item's page or media URL (yt-dlp's `webpage_url`; the sheet's link when absent)
 */
export function itemMediaId(ytdlpId: string, extractorKey: string | undefined, url: string | undefined): string {
  if (!url || !isGenericId(ytdlpId, extractorKey, url)) return ytdlpId;
  const name = IS_URL.test(ytdlpId) ? basenameOf(ytdlpId).replace(/[^\w.-]+/g, '_') || 'feed' : ytdlpId;
  return `${name}-${urlHash(url)}`;
}

/**
 * One line of a yt-dlp `--download-archive` file: `<extractor key, lower case> <id>`, as yt-dlp's
 * `make_archive_id` writes it (YoutubeDL.py), e.g. `youtube dQw4w9WgXcQ`, `generic index`.
 * @returns null when the extractor is unknown (the item is then fetched again, never skipped wrongly).
 */
export function archiveLine(extractorKey: string | undefined, ytdlpId: string | undefined): string | null {
  if (!extractorKey || !ytdlpId || /\s/.test(extractorKey)) return null;
  return `${extractorKey.toLowerCase()} ${ytdlpId}`;
}
