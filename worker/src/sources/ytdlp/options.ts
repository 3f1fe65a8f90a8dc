/**
 * What one yt-dlp job is asked to archive: the dispatch options with the row's `archive_options`
 * (design §1) laid over them. The one place that decides it, so the download plan and the check of
 * what was stored (verify.ts) agree.
 */
import type { RowArchiveOptions } from '../../../../shared/archiveOptions.js';
import type { JobRecord } from '../../../../shared/schemas.js';
import { kindOf } from '../../catalogue/assets.js';
import type { MediaMetadata } from '../../storage/metadata.js';

/** The archive mode: video (media + subtitles), audio (audio-only media), transcript (subtitles + info only). */
export type ArchiveMode = NonNullable<RowArchiveOptions['mode']>;

/** The options a yt-dlp job runs with. */
export interface ItemOptions {
  mode: ArchiveMode;
  /** pixels */
  maxHeight: number;
  /** `--sub-langs` value; yt-dlp's default when absent */
  subLangs?: string;
  /** most comments to keep; absent: no comments */
  maxComments?: number;
}

/** Worker-level defaults the job's options fall back to. */
export interface ItemOptionDefaults {
  /** `--sub-langs` of the worker (YtDlpSourceOptions.subLangs) */
  subLangs?: string;
  /** ARCHIVER_MAX_COMMENTS; default 500 */
  maxComments?: number;
}

export const DEFAULT_MAX_COMMENTS = 500;

/**
 * The options of `job`: a row's `mode`, `max_height`, `subs` and `comments` win over the dispatch's
 * transcriptOnly/audioOnly/maxHeight and the worker's sub-langs. Comments are off unless the row
 * asks for them.
 */
export function itemOptions(job: Pick<JobRecord, 'options' | 'archiveOptions'>, defaults: ItemOptionDefaults = {}): ItemOptions {
  const o = job.options;
  const row = job.archiveOptions ?? {};
  const mode: ArchiveMode = row.mode ?? (o.transcriptOnly ? 'transcript' : o.audioOnly ? 'audio' : 'video');
  const out: ItemOptions = { mode, maxHeight: row.maxHeight ?? o.maxHeight ?? 1080 };
  const subLangs = row.subs?.length ? row.subs.join(',') : defaults.subLangs;
  if (subLangs) out.subLangs = subLangs;
  if (row.comments) out.maxComments = defaults.maxComments ?? DEFAULT_MAX_COMMENTS;
  return out;
}

/**
 * Whether an item stored before holds what `mode` asks for, so it need not be fetched again: a
 * video file for `video`; an audio or video file for `audio` (a video carries the audio); anything
 * for `transcript` (every mode stores the subtitles and the info). A row archived as a transcript
 * and later asked for the video is fetched again. File kinds as the catalogue names them
 * (catalogue/assets.ts kindOf).
 */
export function holdsMode(meta: Pick<MediaMetadata, 'files'>, mode: ArchiveMode): boolean {
  if (mode === 'transcript') return true;
  const kinds = new Set((Array.isArray(meta.files) ? meta.files : []).map((f) => kindOf('youtube', f.key)));
  return kinds.has('video') || (mode === 'audio' && kinds.has('audio'));
}
