/**
 * yt-dlp command lines, checked against yt-dlp 2023.03.04 (Debian bookworm's) and later.
 *
 * Notes on that version:
 * - `--print` implies `--quiet`, which moves screen messages to stderr and hides progress unless
 *   `--progress` is given: we pass `--progress --newline`. With `--newline` the progress lines go
 *   to stdout (not stderr), interleaved with the `--print` lines; both carry our markers.
 * - `--print after_move:…` is NOT printed with `--skip-download` (transcript only); the
 *   `after_video` stage is printed in both cases, so that is what we use. It lists the media path
 *   in `requested_downloads[].filepath` (absolute), the info JSON in
 *   `requested_downloads[].infojson_filename`, subtitles in `requested_subtitles.<lang>.filepath`
 *   and thumbnails in `thumbnails[].filepath` (relative to the working directory).
 * - `--use-extractors` has the alias `--ies`; file:// URLs are off unless `--enable-file-urls`.
 * - `--print pre_process:` fires for every resolved video, also one the download archive then
 *   skips; `after_filter:` only for what passed the archive and filters, so it marks an entry that
 *   was started (an entry started without an item line failed). `playlist:` fires once per
 *   playlist after its entries, with `playlist_count`, also when every entry was skipped.
 * - `--download-archive FILE` skips entries whose `<extractor> <id>` line is in FILE. A YouTube
 *   tab's flat entries carry their extractor and are skipped before any request; a feed's url
 *   entries only after the generic extractor looked at them (a request, no download).
 */

/** Marks the lines we asked for, so they cannot be confused with yt-dlp's own output. */
export const ITEM_MARK = '[sa:item] ';
export const PROGRESS_MARK = '[sa:progress] ';
/** an entry passed the download archive and filters: it is being fetched */
export const START_MARK = '[sa:start] ';
/** a playlist (or channel tab, or multi-video page) finished: its id, title and entry count */
export const LIST_MARK = '[sa:list] ';

/** What one yt-dlp download run is asked to do. */
export interface DownloadPlan {
  url: string;
  /** extractor allow-list, e.g. ['generic', 'html5'] or the YouTube extractors */
  extractors: string[];
  /** `--no-playlist` (a watch?v=…&list=… link) or `--yes-playlist` */
  playlist: boolean;
  /** 1-based playlist indices to fetch (`--playlist-items`); all when absent */
  playlistItems?: number[];
  /** fetch at most the first N entries (`--playlist-items 1:N`): a channel's newest N uploads */
  maxEntries?: number;
  /** `--download-archive` file: entries listed there are skipped (what storage already holds) */
  downloadArchive?: string;
  transcriptOnly: boolean;
  audioOnly: boolean;
  /** pixels; formats with unknown height are accepted */
  maxHeight: number;
  /** `--sub-langs` value; yt-dlp's default (English, else the first language) when absent */
  subLangs?: string;
  /** `--write-comments`, keeping at most this many (row option `comments=yes`); none when absent */
  maxComments?: number;
  /** `http://127.0.0.1:PORT` of the host guard */
  proxy?: string;
  /** seconds */
  socketTimeoutS: number;
  ffmpegLocation?: string;
}

/** Extractors used for YouTube links. */
export const YOUTUBE_EXTRACTORS = ['youtube', 'youtube:tab', 'youtube:playlist'];
/** Extractors used for allowed hosts (design §7). */
export const GENERIC_EXTRACTORS = ['generic', 'html5'];

function common(plan: Pick<DownloadPlan, 'extractors' | 'proxy' | 'socketTimeoutS'>): string[] {
  const a = ['--ignore-config', '--no-cache-dir', '--no-colors', '--use-extractors', plan.extractors.join(',')];
  a.push('--socket-timeout', String(plan.socketTimeoutS));
  if (plan.proxy) a.push('--proxy', plan.proxy);
  return a;
}

/** The `-f` expression: best within maxHeight (unknown heights accepted), else the smallest. */
export function formatSelector(maxHeight: number, audioOnly: boolean): string {
  if (audioOnly) return 'ba/b';
  const h = Math.max(1, Math.floor(maxHeight));
  return `bv*[height<=?${h}]+ba/b[height<=?${h}]/wv*+ba/w`;
}

/**
 * Comments go into the info JSON (`--write-comments`; store.ts copies them to comments.json). Only
 * YouTube's extractor takes a cap: `--extractor-args youtube:max_comments=<n>` (yt-dlp README,
 * "youtube" extractor arguments: max-comments, then max-parents, max-replies… default all). Other
 * extractors are capped when storing.
 */
export function commentArgs(plan: Pick<DownloadPlan, 'maxComments' | 'extractors'>): string[] {
  if (!plan.maxComments) return [];
  const a = ['--write-comments'];
  if (plan.extractors.includes('youtube')) a.push('--extractor-args', `youtube:max_comments=${Math.floor(plan.maxComments)}`);
  return a;
}

/**
 * Arguments of a download run. Files land in the working directory as `<id>.<ext>`,
 * `<id>.<lang>.vtt`, `<id>.info.json`, `<id>.<thumb ext>`; each finished item prints one
 * `[sa:item] …` line on stdout (see parseItemLine), progress prints `[sa:progress] …` lines (on
 * stdout in 2023.03.04; see parseProgressLine), each started entry a `[sa:start] …` line and a
 * playlist one `[sa:list] …` line (parseStartLine, parseListLine). The one run both lists and
 * downloads: there is no separate listing run (issue 7 item 10).
 */
export function buildDownloadArgs(plan: DownloadPlan): string[] {
  const a = [...common(plan)];
  a.push('--retries', '3', '--fragment-retries', '3', '--extractor-retries', '1');
  a.push('--no-mtime', '--no-write-playlist-metafiles', '--restrict-filenames');
  a.push('-o', '%(id)s.%(ext)s');
  a.push(plan.playlist ? '--yes-playlist' : '--no-playlist');
  // `--playlist-end` is deprecated (hidden from --help since 2022); the range form `1:N` is its successor
  if (plan.playlistItems?.length) a.push('--playlist-items', plan.playlistItems.join(','));
  else if (plan.maxEntries) a.push('--playlist-items', `1:${Math.max(1, Math.floor(plan.maxEntries))}`);
  if (plan.downloadArchive) a.push('--download-archive', plan.downloadArchive);
  a.push('--write-info-json', '--write-subs', '--write-auto-subs', '--sub-format', 'vtt/best', '--convert-subs', 'vtt');
  if (plan.subLangs) a.push('--sub-langs', plan.subLangs);
  a.push(...commentArgs(plan));
  if (plan.transcriptOnly) a.push('--skip-download');
  else {
    a.push('--write-thumbnail', '-f', formatSelector(plan.maxHeight, plan.audioOnly));
    if (plan.audioOnly) a.push('--extract-audio');
  }
  if (plan.ffmpegLocation) a.push('--ffmpeg-location', plan.ffmpegLocation);
  a.push('--newline', '--progress');
  a.push(
    '--progress-template',
    `download:${PROGRESS_MARK}%(progress.{status,downloaded_bytes,total_bytes,total_bytes_estimate,speed,eta,fragment_index,fragment_count})j\t%(info.id)j`,
  );
  a.push(
    '--print',
    `after_video:${ITEM_MARK}%(.{id,title,extractor_key,webpage_url,playlist_id,playlist_index})j\t%(requested_downloads.:.{filepath,infojson_filename})j\t%(requested_subtitles)j\t%(thumbnails.:.filepath)j`,
  );
  a.push('--print', `after_filter:${START_MARK}%(.{id,extractor_key,webpage_url,playlist_index,n_entries})j`);
  a.push('--print', `playlist:${LIST_MARK}%(.{id,title,uploader,channel,extractor_key,webpage_url,playlist_count})j`);
  a.push('--', plan.url);
  return a;
}
