/**
 * The yt-dlp source (issue 2 item 4, issue 7 items 6, 9, 10): YouTube videos, playlists and
 * channels, and media on explicitly allowed hosts (`--ies generic,html5`), archived with their
 * subtitles, info JSON and thumbnail.
 *
 * One link goes through:
 *  1. the host guard (net/hostGuard.ts): refused links throw `validation` before anything runs;
 *  2. what storage already holds for it: a YouTube video whose metadata.json exists, or the one
 *     item a single (non-collection) link archived before, is reported without running yt-dlp;
 *  3. at most ONE yt-dlp run, through the guard proxy (net/guardProxy.ts), that lists and
 *     downloads together. Its `--download-archive` file is written from the items storage holds
 *     for this link, so yt-dlp itself skips them: a playlist, page or channel re-run or retried
 *     fetches only what is new or missing, with no separate listing run (docs/decisions.md);
 *  4. a check of each item's files (verify.ts) just before it is stored: a cut or stream-less file
 *     fails as `system` (in a collection, as a failed entry) and nothing of it is stored;
 *  5. uploads: every file, then each item's metadata.json, then the collection's
 *     `playlist:<id>` / `channel:<id>` metadata.json.
 * The row's archive_options win over the dispatch options (options.ts).
 * A `watch?v=…&list=…` link archives the video only (`--no-playlist`). A channel link archives
 * its newest uploads (the tab's own order), at most `channelMax` of them (`--playlist-items 1:N`).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobProgress } from '../../../../shared/schemas.js';
import { ArchiveError } from '../../errors.js';
import { startGuardProxy, type GuardProxy } from '../../net/guardProxy.js';
import { resolveLink, type LinkTarget, type Lookup } from '../../net/hostGuard.js';
import type { StoredObject } from '../../storage/types.js';
import type { LinkResult, Source, SourceContext } from '../types.js';
import { buildDownloadArgs, GENERIC_EXTRACTORS, YOUTUBE_EXTRACTORS, type DownloadPlan } from './args.js';
import { findYtDlp, ytdlpVersion } from './binary.js';
import { classifyYtDlpStderr } from './classify.js';
import { itemMediaId } from './mediaIds.js';
import type { YtDlpHelperPool } from './pool.js';
import { holdsMode, itemOptions, type ItemOptions } from './options.js';
import { runYtDlp, type RunOptions, type RunResult } from './process.js';
import {
  parseItemLine,
  parseListLine,
  parseProgressLine,
  parseStartLine,
  ProgressTracker,
  type DownloadedItem,
  type ListedCollection,
  type StartedEntry,
} from './progress.js';
import {
  storedForLink,
  storedItem,
  storeItem,
  storePlaylist,
  type CollectionRecord,
  type PlaylistEntryRecord,
  type StoredEntry,
} from './store.js';
import { DEFAULT_TOOL_CONFIG, insertToolArgs, prepareToolArgs, redactArgs, type YtDlpToolConfig } from './toolArgs.js';
import { verifyItem } from './verify.js';

export interface YtDlpSourceOptions {
  /** the yt-dlp executable; default findYtDlp() (YTDLP_PATH, then PATH) */
  ytdlpPath?: string;
  /** `host` or `host:port` entries allowed besides YouTube (ARCHIVER_ALLOWED_HOSTS, --allow-host) */
  allowedHosts: string[];
  /** ms one link may take; no limit when absent */
  timeoutMs?: number;
  /** `--sub-langs`, e.g. "en.*,pt"; default yt-dlp's own (English, else the first language) */
  subLangs?: string;
  /** `--socket-timeout`, seconds; default 30 */
  socketTimeoutS?: number;
  /** ms between SIGTERM and SIGKILL of the process group; default 3000 */
  killGraceMs?: number;
  /** `--ffmpeg-location` */
  ffmpegLocation?: string;
  /** ffprobe for the completion check (verify.ts); default beside ffmpegLocation, else PATH */
  ffprobePath?: string;
  /** most comments kept per video for rows with `comments=yes` (ARCHIVER_MAX_COMMENTS); default 500 */
  maxComments?: number;
  /** newest uploads one channel link archives (ARCHIVER_CHANNEL_MAX); default 200 */
  channelMax?: number;
  /** extra tool versions for metadata.json, e.g. { 'sheet-archiver': VERSION } */
  tools?: Record<string, string>;
  /** route yt-dlp through the host guard proxy; default true */
  guard?: boolean;
  /** DNS lookup for the guard (tests) */
  lookup?: Lookup;
  /** called with the argument list of every yt-dlp run, before it starts (diagnostics, tests) */
  onSpawn?: (args: string[]) => void;
  /**
   * called when each yt-dlp run ends: `probe` (listing) or `download`, and its outcome — `ok`,
   * the design §4 category of its error, `aborted`, `timeout` or `spawn_error` (metrics)
   */
  onRun?: (run: { kind: 'probe' | 'download'; outcome: string }) => void;
  /** JS runtime, cookies, plugins, YTDLP_EXTRA_ARGS (toolArgs.ts); default Deno from node_modules only */
  toolConfig?: YtDlpToolConfig;
  /** long-lived yt-dlp helpers (pool.ts) to run in instead of spawning yt-dlp per link; spawn when absent */
  helpers?: YtDlpHelperPool;
}

/** Default of ARCHIVER_CHANNEL_MAX (design §2: "up to a configurable cap"). */
export const DEFAULT_CHANNEL_MAX = 200;

/** The reason an aborted signal carries, as what archive() throws. */
function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new ArchiveError('system', typeof r === 'string' ? r : 'cancelled');
}

/** Strips query and fragment (may carry tokens) for logs. */
const redact = (u: string) => u.replace(/[?#].*$/, '');

/**
 * Creates the yt-dlp source. Cheap: nothing runs until archive().
 * Errors thrown by archive(): ArchiveError with the design §4 category (see classify.ts), or the
 * abort reason of `ctx.signal` when cancelled.
 */
export function createYtDlpSource(opts: YtDlpSourceOptions): Source {
  const allowedHosts = opts.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  return {
    name: 'youtube',
    archive: (link, ctx) => archiveLink(link, ctx, opts, allowedHosts),
  };
}

/** A YouTube link that names one video (a `watch?v=…&list=…` one included). */
const isYouTubeVideo = (t: LinkTarget) => t.kind === 'youtube' && t.parsed.kind === 'video';

async function archiveLink(link: string, ctx: SourceContext, opts: YtDlpSourceOptions, allowedHosts: string[]): Promise<LinkResult> {
  const target = resolveLink(link, allowedHosts); // throws validation: nothing spawned
  const binary = opts.ytdlpPath ?? findYtDlp();
  if (!binary) throw new ArchiveError('system', 'yt-dlp not found: install it (npm run setup) or set YTDLP_PATH');
  if (ctx.signal.aborted) throw abortError(ctx.signal);

  // What storage holds already: reported as it is when nothing new can come from the link. An item
  // stored in a smaller mode than this job's (a transcript, now the video) is fetched again.
  const { mode } = optionsOf(ctx, opts);
  let stored: StoredEntry[] = [];
  if (target.kind === 'youtube' && target.parsed.kind === 'video') {
    const prev = await storedItem(ctx.store, ctx.prefix, ctx.job.rowId, target.parsed.id);
    if (prev && holdsMode(prev.meta, mode)) return alreadyArchived(ctx, prev.meta.mediaId, prev.objects);
  } else {
    stored = (await storedForLink(ctx.store, ctx.prefix, ctx.job.rowId, link)).filter((s) => holdsMode(s.meta, mode));
    const one = stored.length === 1 ? stored[0]! : undefined;
    if (target.kind === 'allowed' && one && one.index === undefined) return alreadyArchived(ctx, one.meta.mediaId, one.objects);
  }

  const version = await ytdlpVersion(binary);
  const tools = { 'yt-dlp': version, ...opts.tools };
  const log = ctx.log.child({ ytdlp: version });
  log.info(
    { link: redact(target.url), kind: target.kind, attempt: ctx.job.attempt, stored: stored.length },
    'yt-dlp source: archiving link',
  );

  await mkdir(ctx.workDir, { recursive: true });
  const runDir = await mkdtemp(join(ctx.workDir, 'ytdlp-'));
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
  let proxy: GuardProxy | null = null;
  try {
    if (opts.guard !== false) proxy = await startGuardProxy({ allowedHosts, log, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
    const r = new Runner(binary, runDir, { ...ctx, log }, opts, deadline, proxy);
    // JS runtime, cookies (copied into runDir), plugins, YTDLP_EXTRA_ARGS: every run of the link, spawned or in a helper
    r.toolArgs = await prepareToolArgs(binary, opts.toolConfig ?? DEFAULT_TOOL_CONFIG, runDir);
    return await archiveTarget(target, link, stored, r, { ...ctx, log }, tools);
  } finally {
    await proxy?.close();
    // removes .part, .ytdl, .temp and fragment files along with everything else of this run
    await rm(runDir, { recursive: true, force: true });
  }
}

function alreadyArchived(ctx: SourceContext, mediaId: string, files: StoredObject[]): LinkResult {
  ctx.log.info({ mediaId }, 'already archived: skipped');
  ctx.onProgress({ fraction: 1, message: `already archived ${mediaId}` });
  return { mediaIds: [mediaId], files };
}

/** What one download run reported. */
interface DownloadRun {
  /** finished items whose files are there, media ids assigned */
  items: DownloadedItem[];
  /** entries yt-dlp started (passed the archive), by yt-dlp id */
  started: Map<string, StartedEntry>;
  /** set when the link was a playlist / channel tab / multi-video page */
  list?: ListedCollection;
  res: RunResult;
}

/** How a run ended, for YtDlpSourceOptions.onRun. */
function runOutcome(res: RunResult, signal: AbortSignal): string {
  if (res.aborted || signal.aborted) return 'aborted';
  if (res.timedOut) return 'timeout';
  if (res.spawnError) return 'spawn_error';
  return res.code === 0 ? 'ok' : classifyYtDlpStderr(res.stderr, { code: res.code, signal: res.signal }).category;
}

/** Runs yt-dlp for one link, turning cancel, timeout and spawn failures into errors. */
class Runner {
  /** added to every run of this link (toolArgs.ts) */
  toolArgs: string[] = [];
  constructor(
    readonly binary: string,
    readonly cwd: string,
    readonly ctx: SourceContext,
    readonly opts: YtDlpSourceOptions,
    readonly deadline: number | undefined,
    readonly proxy: GuardProxy | null,
  ) {}

  base(target: LinkTarget) {
    return {
      url: target.url,
      extractors: target.kind === 'youtube' ? YOUTUBE_EXTRACTORS : GENERIC_EXTRACTORS,
      socketTimeoutS: this.opts.socketTimeoutS ?? 30,
      ...(this.proxy ? { proxy: this.proxy.url } : {}),
    };
  }

  async run(args: string[], keepStdout: boolean, onOut?: (l: string) => void, onErr?: (l: string) => void): Promise<RunResult> {
    const { ctx } = this;
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const left = this.deadline ? this.deadline - Date.now() : undefined;
    if (left !== undefined && left <= 0)
      throw new ArchiveError('network', `yt-dlp timed out after ${Math.round(this.opts.timeoutMs! / 1000)} s`);
    args = insertToolArgs(args, this.toolArgs);
    this.opts.onSpawn?.(args);
    ctx.log.debug({ args: redactArgs(args), helper: !!this.opts.helpers }, 'spawning yt-dlp');
    const o: RunOptions = {
      binary: this.binary,
      args,
      cwd: this.cwd,
      signal: ctx.signal,
      ...(left !== undefined ? { timeoutMs: left } : {}),
      ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
      ...(onOut ? { onStdoutLine: onOut } : {}),
      ...(onErr ? { onStderrLine: onErr } : {}),
    };
    // a helper when there is one for this yt-dlp (no start-up to pay), else a process of its own
    const res = (await this.opts.helpers?.run(o, keepStdout)) ?? (await runYtDlp(o, keepStdout));
    this.opts.onRun?.({ kind: keepStdout ? 'probe' : 'download', outcome: runOutcome(res, ctx.signal) });
    if (res.aborted || ctx.signal.aborted) throw abortError(ctx.signal);
    if (res.timedOut) throw new ArchiveError('network', `yt-dlp timed out after ${Math.round(this.opts.timeoutMs! / 1000)} s`);
    if (res.spawnError)
      throw new ArchiveError('system', `cannot start yt-dlp (${this.binary}): ${res.spawnError.message}`, { cause: res.spawnError });
    return res;
  }

  /** The error a failed run stands for. */
  error(res: RunResult): ArchiveError {
    const c = classifyYtDlpStderr(res.stderr, { code: res.code, signal: res.signal });
    // the guard also lists DNS failures (answered 502, retried as network): only a blocked destination is validation
    const blocked = this.proxy?.refused.filter((r) => !/ — DNS lookup (failed|returned no address)/.test(r)) ?? [];
    if (blocked.length && c.category !== 'validation')
      return new ArchiveError('validation', `blocked by archiver host guard: ${blocked[0]}`);
    return new ArchiveError(c.category, c.message);
  }

  /**
   * The one run of a link: lists and downloads, reporting progress.
   * yt-dlp 2023.03.04 prints `after_video` even when the media download failed (info JSON only),
   * so an item counts only when its media file exists (or, transcript only, when nothing else was asked).
   * @param link the sheet's link (the URL a generic media id is derived from when yt-dlp gives no page URL)
   * @param skipped entries the archive file lists (progress counts them as done)
   */
  async download(plan: DownloadPlan, link: string, skipped: number): Promise<DownloadRun> {
    const items: DownloadedItem[] = [];
    const started = new Map<string, StartedEntry>();
    let list: ListedCollection | undefined;
    const tracker = new ProgressTracker(1, this.ctx.onProgress);
    const onProgressLine = (line: string) => {
      const p = parseProgressLine(line);
      if (p) tracker.progress(p);
      return !!p;
    };
    const res = await this.run(
      buildDownloadArgs(plan),
      false,
      // With --newline, 2023.03.04 prints progress on stdout even in quiet mode; accept it on both.
      (line) => {
        const item = parseItemLine(line, this.cwd);
        if (item) {
          const mediaId = itemMediaId(item.id, item.extractorKey, item.webpageUrl ?? link);
          if (mediaId !== item.id) Object.assign(item, { ytdlpId: item.id, id: mediaId });
          items.push(item);
          tracker.itemDone(item.id);
          return;
        }
        const s = parseStartLine(line);
        if (s) {
          started.set(s.id, s);
          if (s.nEntries) tracker.expect(s.nEntries - skipped);
          return;
        }
        const l = parseListLine(line);
        if (l) list = l;
        else onProgressLine(line);
      },
      (line) => {
        if (!onProgressLine(line) && line.trim()) this.ctx.log.debug({ line }, 'yt-dlp');
      },
    );
    const complete: DownloadedItem[] = [];
    for (const item of items) {
      if (plan.transcriptOnly || (await anyFile(item.mediaPaths))) complete.push(item);
      else this.ctx.log.warn({ mediaId: item.id }, 'yt-dlp reported an item without its media file: counted as failed');
    }
    return { items: complete, started, ...(list ? { list } : {}), res };
  }
}

async function anyFile(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    try {
      if ((await stat(p)).isFile()) return true;
    } catch {
      /* missing */
    }
  }
  return false;
}

/** The job's options: the row's archive_options over the dispatch's and the worker's (options.ts). */
function optionsOf(ctx: Pick<SourceContext, 'job'>, opts: Pick<YtDlpSourceOptions, 'subLangs' | 'maxComments'>): ItemOptions {
  const { subLangs, maxComments } = opts;
  return itemOptions(ctx.job, { ...(subLangs ? { subLangs } : {}), ...(maxComments ? { maxComments } : {}) });
}

/**
 * The download plan of a link: one run, `--yes-playlist` unless the link names one video, the
 * stored items in `--download-archive`, a channel's cap in `--playlist-items 1:N`, and the job's
 * mode, max height, subtitle languages and comments (optionsOf).
 */
export function downloadPlan(
  base: Pick<DownloadPlan, 'url' | 'extractors' | 'socketTimeoutS' | 'proxy'>,
  target: LinkTarget,
  ctx: Pick<SourceContext, 'job'>,
  opts: Pick<YtDlpSourceOptions, 'subLangs' | 'ffmpegLocation' | 'channelMax' | 'maxComments'>,
  downloadArchive?: string,
): DownloadPlan {
  const o = optionsOf(ctx, opts);
  const plan: DownloadPlan = {
    ...base,
    playlist: !isYouTubeVideo(target),
    transcriptOnly: o.mode === 'transcript',
    audioOnly: o.mode === 'audio',
    maxHeight: o.maxHeight,
  };
  if (target.kind === 'youtube' && target.parsed.kind === 'channel') plan.maxEntries = opts.channelMax ?? DEFAULT_CHANNEL_MAX;
  if (downloadArchive) plan.downloadArchive = downloadArchive;
  if (o.subLangs) plan.subLangs = o.subLangs;
  if (o.maxComments) plan.maxComments = o.maxComments;
  if (opts.ffmpegLocation) plan.ffmpegLocation = opts.ffmpegLocation;
  return plan;
}

/**
 * Checks an item just before it is stored (verify.ts): a cut or stream-less file must never get a
 * metadata.json, which would make it count as archived.
 * @throws ArchiveError('system') saying what is wrong.
 */
async function checkItem(item: DownloadedItem, r: Runner, ctx: SourceContext): Promise<void> {
  const { mode } = optionsOf(ctx, r.opts);
  const o = r.opts;
  await verifyItem(item, mode, {
    signal: ctx.signal,
    ...(o.ffprobePath ? { ffprobePath: o.ffprobePath } : {}),
    ...(o.ffmpegLocation ? { ffmpegLocation: o.ffmpegLocation } : {}),
  });
}

/** storeItem with the job's comment option. */
function store(
  item: DownloadedItem,
  r: Runner,
  ctx: SourceContext,
  link: string,
  tools: Record<string, string>,
  extra: Record<string, unknown> = {},
) {
  const { maxComments } = optionsOf(ctx, r.opts);
  return storeItem(item, ctx, link, tools, extra, maxComments ? { maxComments } : {});
}

/** Writes the run's `--download-archive` file from what storage holds; undefined when there is nothing to skip. */
async function writeArchiveFile(dir: string, stored: StoredEntry[]): Promise<string | undefined> {
  const lines = [...new Set(stored.map((s) => s.archiveId).filter((l): l is string => !!l))];
  if (!lines.length) return undefined;
  const path = join(dir, 'download-archive.txt');
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

async function archiveTarget(
  target: LinkTarget,
  link: string,
  stored: StoredEntry[],
  r: Runner,
  ctx: SourceContext,
  tools: Record<string, string>,
): Promise<LinkResult> {
  const progress = (p: JobProgress) => ctx.onProgress(p);
  const archive = await writeArchiveFile(r.cwd, stored);
  progress({ fraction: 0, message: stored.length ? `${stored.length} archived before; looking for what is new` : 'starting' });
  const run = await r.download(downloadPlan(r.base(target), target, ctx, r.opts, archive), link, stored.length);
  const knownCollection = target.kind === 'youtube' && target.parsed.kind !== 'video';
  if (knownCollection || run.list || stored.some((s) => s.index !== undefined))
    return archiveCollection(target, link, stored, run, r, ctx, tools);

  // One video.
  const item = run.items[0];
  if (!item) {
    // the download archive skipped the one item this link archived before
    if (run.res.code === 0 && stored.length)
      return alreadyArchived(
        ctx,
        stored[0]!.meta.mediaId,
        stored.flatMap((s) => s.objects),
      );
    throw run.res.code === 0 ? new ArchiveError('system', 'yt-dlp finished without reporting a file') : r.error(run.res);
  }
  if (run.res.code !== 0)
    ctx.log.warn({ mediaId: item.id, err: r.error(run.res).message }, 'yt-dlp reported an error after archiving the item');
  progress({ fraction: 0.96, message: `checking ${item.id}` });
  await checkItem(item, r, ctx);
  progress({ fraction: 0.97, message: `uploading ${item.id}` });
  const files = await store(item, r, ctx, link, tools);
  progress({ fraction: 1, message: `archived ${item.id}` });
  return { mediaIds: [item.id], files };
}

/** Ids yt-dlp names in its ERROR lines (`ERROR: [youtube] <id>: …`): entries that failed before they started. */
function erroredIds(stderr: string): string[] {
  const out: string[] = [];
  for (const m of stderr.matchAll(/^ERROR: \[[^\]]+\] ([^\s:]+): /gm)) out.push(m[1]!);
  return out;
}

/** The `playlist:<id>` / `channel:<id>` record of a collection link. */
function collectionOf(
  target: LinkTarget,
  link: string,
  list: ListedCollection | undefined,
  opts: YtDlpSourceOptions,
): CollectionRecord | null {
  if (target.kind === 'youtube' && target.parsed.kind === 'channel') {
    const p = target.parsed;
    return {
      mediaId: `channel:${p.id}`,
      kind: 'channel',
      id: list?.id ?? p.id,
      count: list?.count ?? 0,
      extra: { channel: p.id, tab: p.tab ?? 'videos', max: opts.channelMax ?? DEFAULT_CHANNEL_MAX, order: 'newest first' },
      ...(list?.title ? { title: list.title } : {}),
      ...(list?.uploader ? { uploader: list.uploader } : {}),
    };
  }
  const id =
    target.kind === 'youtube' && target.parsed.kind === 'playlist'
      ? target.parsed.id
      : list
        ? itemMediaId(list.id, list.extractorKey, list.webpageUrl ?? link)
        : null;
  if (!id) return null;
  return {
    mediaId: `playlist:${id}`,
    kind: 'playlist',
    id: list?.id ?? id,
    count: list?.count ?? 0,
    ...(list?.title ? { title: list.title } : {}),
    ...(list?.uploader ? { uploader: list.uploader } : {}),
  };
}

async function archiveCollection(
  target: LinkTarget,
  link: string,
  stored: StoredEntry[],
  run: DownloadRun,
  r: Runner,
  ctx: SourceContext,
  tools: Record<string, string>,
): Promise<LinkResult> {
  const { res } = run;
  const coll = collectionOf(target, link, run.list, r.opts);
  // No listing: the run failed before it reached the entries (network, not found, rate limit…).
  if (!coll || (!run.list && !run.items.length))
    throw res.code === 0 ? new ArchiveError('system', 'yt-dlp listed no entries') : r.error(res);

  const files: StoredObject[] = [];
  const entryMeta = new Map<string, StoredObject>();
  const records = new Map<string, PlaylistEntryRecord>();
  // archived before (the download archive made yt-dlp skip them)
  for (const s of stored) {
    files.push(...s.objects);
    const meta = s.objects[s.objects.length - 1]!;
    entryMeta.set(s.meta.mediaId, meta);
    records.set(s.meta.mediaId, {
      mediaId: s.meta.mediaId,
      ...(s.index !== undefined ? { index: s.index } : {}),
      ...(s.meta.title ? { title: s.meta.title } : {}),
      status: 'archived',
      metadataKey: meta.key,
    });
  }
  // fetched now: each checked just before it is stored; one that fails its check is a failed entry
  let rejected: ArchiveError | undefined;
  const failed = new Map<string, StartedEntry>();
  const fetched = new Set<string>();
  for (const item of run.items) {
    const ytdlpId = item.ytdlpId ?? item.id;
    const index = item.playlistIndex ?? run.started.get(ytdlpId)?.playlistIndex;
    try {
      await checkItem(item, r, ctx);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      rejected ??= err instanceof ArchiveError ? err : new ArchiveError('system', String(err));
      ctx.log.warn({ mediaId: item.id, err: (err as Error).message }, 'downloaded media failed its check: entry counted as failed');
      const f: StartedEntry = { ...run.started.get(ytdlpId), id: ytdlpId, ...(index !== undefined ? { playlistIndex: index } : {}) };
      if (item.extractorKey) f.extractorKey = item.extractorKey;
      if (item.webpageUrl) f.webpageUrl = item.webpageUrl;
      failed.set(ytdlpId, f); // same media id as the item (itemMediaId of the same facts)
      continue;
    }
    const stored = await store(item, r, ctx, link, tools, { playlist: { id: coll.id, ...(index !== undefined ? { index } : {}) } });
    files.push(...stored);
    const meta = stored[stored.length - 1]!;
    entryMeta.set(item.id, meta);
    records.set(item.id, {
      mediaId: item.id,
      ...(index !== undefined ? { index } : {}),
      ...(item.title ? { title: item.title } : {}),
      status: 'archived',
      metadataKey: meta.key,
    });
    fetched.add(ytdlpId);
  }
  // failed now: started without an item line (or failed its check), or named in an ERROR line
  for (const s of run.started.values()) if (!fetched.has(s.id) && !failed.has(s.id)) failed.set(s.id, s);
  for (const id of erroredIds(res.stderr))
    if (!fetched.has(id) && !failed.has(id) && id !== coll.id && !records.has(id)) failed.set(id, { id });
  for (const f of failed.values()) {
    const mediaId = itemMediaId(f.id, f.extractorKey, f.webpageUrl ?? link);
    if (!records.has(mediaId))
      records.set(mediaId, { mediaId, ...(f.playlistIndex !== undefined ? { index: f.playlistIndex } : {}), status: 'failed' });
  }
  const count = coll.count || records.size;
  let error: ArchiveError | undefined;
  if (failed.size || res.code !== 0) {
    const cause = rejected ?? (res.code !== 0 ? r.error(res) : new ArchiveError('system', 'yt-dlp skipped entries without an error'));
    const what = failed.size ? `${failed.size} of ${count} ${coll.kind} entries failed` : `${coll.kind} ${coll.id}`;
    error = new ArchiveError(cause.category, `${what}: ${cause.message}`, { cause });
  }
  ctx.log.info(
    { collection: coll.mediaId, entries: count, before: stored.length, fetched: run.items.length, failed: failed.size },
    'collection archived',
  );
  if (!entryMeta.size) throw error ?? new ArchiveError('not_found', `${coll.kind} ${coll.id} has no entries`);

  // Entries this run saw, in the list's current order, then those archived earlier in their order
  // then: yt-dlp does not say where a skipped entry sits now (a new upload shifts every index).
  const now = new Set([
    ...run.items.map((i) => i.id),
    ...[...failed.values()].map((f) => itemMediaId(f.id, f.extractorKey, f.webpageUrl ?? link)),
  ]);
  const byIndex = (a: PlaylistEntryRecord, b: PlaylistEntryRecord) => (a.index ?? Infinity) - (b.index ?? Infinity);
  const all = [...records.values()];
  const entries = [...all.filter((e) => now.has(e.mediaId)).sort(byIndex), ...all.filter((e) => !now.has(e.mediaId)).sort(byIndex)];
  files.push(await storePlaylist(ctx, link, { ...coll, count }, entries, [...entryMeta.values()], tools));
  ctx.onProgress({ fraction: 1, message: `${coll.mediaId}: ${entryMeta.size}/${count} archived` });
  return error ? { mediaIds: [coll.mediaId], files, error } : { mediaIds: [coll.mediaId], files };
}
