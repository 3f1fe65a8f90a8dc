/**
 * The yt-dlp source (issue 2 item 4): YouTube videos and playlists, and media on explicitly
 * allowed hosts (`--ies generic,html5`), archived with their subtitles, info JSON and thumbnail.
 *
 * One link goes through:
 *  1. the host guard (net/hostGuard.ts): refused links throw `validation` before anything runs;
 *  2. a listing run (`-J --flat-playlist`) for links that may be playlists, so that entries whose
 *     metadata.json is already stored are skipped (a retry fetches only what is missing);
 *  3. one download run for everything missing, through the guard proxy (net/guardProxy.ts);
 *  4. a check of each item's files (verify.ts): a cut or stream-less file fails as `system`;
 *  5. uploads: every file, then each item's metadata.json, then a playlist's `playlist:<id>`
 *     metadata.json.
 * The row's archive_options win over the dispatch options (options.ts).
 * A `watch?v=…&list=…` link archives the video only (`--no-playlist`).
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobProgress } from '../../../../shared/schemas.js';
import { ArchiveError } from '../../errors.js';
import { startGuardProxy, type GuardProxy } from '../../net/guardProxy.js';
import { resolveLink, type LinkTarget, type Lookup } from '../../net/hostGuard.js';
import type { StoredObject } from '../../storage/types.js';
import type { LinkResult, Source, SourceContext } from '../types.js';
import { buildDownloadArgs, buildProbeArgs, GENERIC_EXTRACTORS, YOUTUBE_EXTRACTORS, type DownloadPlan } from './args.js';
import { findYtDlp, ytdlpVersion } from './binary.js';
import { classifyYtDlpStderr } from './classify.js';
import { runYtDlp, type RunResult } from './process.js';
import { itemOptions, type ItemOptions } from './options.js';
import { parseItemLine, parseProgressLine, ProgressTracker, type DownloadedItem } from './progress.js';
import { storedItem, storeItem, storePlaylist, type PlaylistEntryRecord } from './store.js';
import { verifyItem } from './verify.js';
import { DEFAULT_TOOL_CONFIG, insertToolArgs, prepareToolArgs, redactArgs, type YtDlpToolConfig } from './toolArgs.js';

export interface YtDlpSourceOptions {
  /** the yt-dlp executable; default findYtDlp() (YTDLP_PATH, then PATH) */
  ytdlpPath?: string;
  /** `host` or `host:port` entries allowed besides YouTube (ARCHIVER_ALLOWED_HOSTS, --allow-host) */
  allowedHosts: string[];
  /** ms one link may take, listing and download together; no limit when absent */
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
}

const DIRECT_MEDIA = /\.(mp4|m4v|m4a|webm|mkv|mov|mp3|ogg|oga|ogv|opus|wav|flac|aac|m3u8|mpd|ts|flv|avi)$/i;

/** The reason an aborted signal carries, as what archive() throws. */
function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new ArchiveError('system', typeof r === 'string' ? r : 'cancelled');
}

/** Strips query and fragment (may carry tokens) for logs. */
const redact = (u: string) => u.replace(/[?#].*$/, '');

interface ProbeEntry {
  id?: string;
  index: number;
  title?: string;
}
type Probe =
  | { kind: 'video'; id: string; title?: string }
  | { kind: 'playlist'; id: string; title?: string; uploader?: string; entries: ProbeEntry[] };

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

async function archiveLink(link: string, ctx: SourceContext, opts: YtDlpSourceOptions, allowedHosts: string[]): Promise<LinkResult> {
  const target = resolveLink(link, allowedHosts); // throws validation: nothing spawned
  const binary = opts.ytdlpPath ?? findYtDlp();
  if (!binary) throw new ArchiveError('system', 'yt-dlp not found: install it (npm run setup) or set YTDLP_PATH');
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const version = await ytdlpVersion(binary);
  const tools = { 'yt-dlp': version, ...opts.tools };
  const log = ctx.log.child({ ytdlp: version });
  log.info({ link: redact(target.url), kind: target.kind, attempt: ctx.job.attempt }, 'yt-dlp source: archiving link');

  await mkdir(ctx.workDir, { recursive: true });
  const runDir = await mkdtemp(join(ctx.workDir, 'ytdlp-'));
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : undefined;
  let proxy: GuardProxy | null = null;
  try {
    if (opts.guard !== false) proxy = await startGuardProxy({ allowedHosts, log, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
    const r = new Runner(binary, runDir, ctx, opts, deadline, proxy);
    r.toolArgs = await prepareToolArgs(binary, opts.toolConfig ?? DEFAULT_TOOL_CONFIG, runDir);
    return await archiveTarget(target, link, r, ctx, tools);
  } finally {
    await proxy?.close();
    // removes .part, .ytdl, .temp and fragment files along with everything else of this run
    await rm(runDir, { recursive: true, force: true });
  }
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
    if (left !== undefined && left <= 0) throw new ArchiveError('network', `yt-dlp timed out after ${Math.round(this.opts.timeoutMs! / 1000)} s`);
    args = insertToolArgs(args, this.toolArgs);
    this.opts.onSpawn?.(args);
    ctx.log.debug({ args: redactArgs(args) }, 'spawning yt-dlp');
    const res = await runYtDlp(
      {
        binary: this.binary,
        args,
        cwd: this.cwd,
        signal: ctx.signal,
        ...(left !== undefined ? { timeoutMs: left } : {}),
        ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
        ...(onOut ? { onStdoutLine: onOut } : {}),
        ...(onErr ? { onStderrLine: onErr } : {}),
      },
      keepStdout,
    );
    this.opts.onRun?.({ kind: keepStdout ? 'probe' : 'download', outcome: runOutcome(res, ctx.signal) });
    if (res.aborted || ctx.signal.aborted) throw abortError(ctx.signal);
    if (res.timedOut) throw new ArchiveError('network', `yt-dlp timed out after ${Math.round(this.opts.timeoutMs! / 1000)} s`);
    if (res.spawnError) throw new ArchiveError('system', `cannot start yt-dlp (${this.binary}): ${res.spawnError.message}`, { cause: res.spawnError });
    return res;
  }

  /** The error a failed run stands for. */
  error(res: RunResult): ArchiveError {
    const c = classifyYtDlpStderr(res.stderr, { code: res.code, signal: res.signal });
    if (this.proxy?.refused.length && c.category !== 'validation') {
      return new ArchiveError('validation', `blocked by archiver host guard: ${this.proxy.refused[0]}`);
    }
    return new ArchiveError(c.category, c.message);
  }

  /** Lists a link: a playlist's entries, or the one video it is. */
  async probe(target: LinkTarget): Promise<Probe> {
    const res = await this.run(buildProbeArgs({ ...this.base(target), playlist: true }), true);
    if (res.code !== 0) throw this.error(res);
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(res.stdout) as Record<string, unknown>;
    } catch {
      throw new ArchiveError('system', 'yt-dlp printed no readable listing');
    }
    const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    if (doc['_type'] === 'playlist' && Array.isArray(doc['entries'])) {
      const entries = (doc['entries'] as Record<string, unknown>[]).filter(Boolean).map((e, i): ProbeEntry => {
        const out: ProbeEntry = { index: typeof e['playlist_index'] === 'number' ? e['playlist_index'] : i + 1 };
        const id = s(e['id']);
        const title = s(e['title']);
        if (id) out.id = id;
        if (title) out.title = title;
        return out;
      });
      const p: Probe = { kind: 'playlist', id: s(doc['id']) ?? 'playlist', entries };
      const title = s(doc['title']);
      const uploader = s(doc['uploader']) ?? s(doc['channel']);
      if (title) p.title = title;
      if (uploader) p.uploader = uploader;
      return p;
    }
    const id = s(doc['id']);
    if (!id) throw new ArchiveError('system', 'yt-dlp listing has no id');
    const title = s(doc['title']);
    return title ? { kind: 'video', id, title } : { kind: 'video', id };
  }

  /**
   * Downloads, reporting progress; returns the items whose files are there and the run.
   * yt-dlp 2023.03.04 prints `after_video` even when the media download failed (info JSON only),
   * so an item counts only when its media file exists (or, transcript only, when nothing else was asked).
   */
  async download(plan: DownloadPlan, expectedItems: number): Promise<{ items: DownloadedItem[]; res: RunResult }> {
    const items: DownloadedItem[] = [];
    const tracker = new ProgressTracker(expectedItems, this.ctx.onProgress);
    const res = await this.run(
      buildDownloadArgs(plan),
      false,
      // With --newline, 2023.03.04 prints progress on stdout even in quiet mode; accept it on both.
      (line) => {
        const item = parseItemLine(line, this.cwd);
        if (item) {
          items.push(item);
          tracker.itemDone(item.id);
          return;
        }
        const p = parseProgressLine(line);
        if (p) tracker.progress(p);
      },
      (line) => {
        const p = parseProgressLine(line);
        if (p) tracker.progress(p);
        else if (line.trim()) this.ctx.log.debug({ line }, 'yt-dlp');
      },
    );
    const complete: DownloadedItem[] = [];
    for (const item of items) {
      if (plan.transcriptOnly || (await anyFile(item.mediaPaths))) complete.push(item);
      else this.ctx.log.warn({ mediaId: item.id }, 'yt-dlp reported an item without its media file: counted as failed');
    }
    return { items: complete, res };
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

/** The job's options: the row's archive_options over the dispatch's (options.ts). */
function optionsOf(r: Runner, ctx: SourceContext): ItemOptions {
  const { subLangs, maxComments } = r.opts;
  return itemOptions(ctx.job, { ...(subLangs ? { subLangs } : {}), ...(maxComments ? { maxComments } : {}) });
}

function downloadPlan(r: Runner, target: LinkTarget, ctx: SourceContext, playlist: boolean, playlistItems?: number[]): DownloadPlan {
  const o = optionsOf(r, ctx);
  const plan: DownloadPlan = {
    ...r.base(target),
    playlist,
    transcriptOnly: o.mode === 'transcript',
    audioOnly: o.mode === 'audio',
    maxHeight: o.maxHeight,
  };
  if (playlistItems) plan.playlistItems = playlistItems;
  if (o.subLangs) plan.subLangs = o.subLangs;
  if (o.maxComments) plan.maxComments = o.maxComments;
  if (r.opts.ffmpegLocation) plan.ffmpegLocation = r.opts.ffmpegLocation;
  return plan;
}

/**
 * Checks an item before it is stored (verify.ts): a cut or stream-less file must never get a
 * metadata.json, which would make it count as archived.
 * @throws ArchiveError('system') saying what is wrong.
 */
async function checkItem(item: DownloadedItem, r: Runner, ctx: SourceContext): Promise<void> {
  const { mode } = optionsOf(r, ctx);
  const o = r.opts;
  await verifyItem(item, mode, {
    signal: ctx.signal,
    ...(o.ffprobePath ? { ffprobePath: o.ffprobePath } : {}),
    ...(o.ffmpegLocation ? { ffmpegLocation: o.ffmpegLocation } : {}),
  });
}

/** storeItem with the job's comment option. */
function store(item: DownloadedItem, r: Runner, ctx: SourceContext, link: string, tools: Record<string, string>, extra: Record<string, unknown> = {}) {
  const { maxComments } = optionsOf(r, ctx);
  return storeItem(item, ctx, link, tools, extra, maxComments ? { maxComments } : {});
}

async function archiveTarget(target: LinkTarget, link: string, r: Runner, ctx: SourceContext, tools: Record<string, string>): Promise<LinkResult> {
  const progress = (p: JobProgress) => ctx.onProgress(p);
  let knownId: string | undefined;
  let playlistProbe: Extract<Probe, { kind: 'playlist' }> | undefined;

  if (target.kind === 'youtube' && target.parsed.kind === 'video') knownId = target.parsed.id;
  else if (target.kind === 'allowed' && DIRECT_MEDIA.test(target.url.replace(/[?#].*$/, ''))) knownId = undefined;
  else {
    progress({ fraction: 0, message: 'listing' });
    const probe = await r.probe(target);
    if (probe.kind === 'video') knownId = probe.id;
    else playlistProbe = probe;
  }

  if (playlistProbe) return archivePlaylist(playlistProbe, target, link, r, ctx, tools);

  // One video.
  if (knownId) {
    const prev = await storedItem(ctx.store, ctx.prefix, ctx.job.rowId, knownId);
    if (prev) {
      ctx.log.info({ mediaId: knownId }, 'already archived: skipped');
      progress({ fraction: 1, message: `already archived ${knownId}` });
      return { mediaIds: [knownId], files: prev.objects };
    }
  }
  const { items, res } = await r.download(downloadPlan(r, target, ctx, false), 1);
  const item = items[0];
  if (!item) throw res.code === 0 ? new ArchiveError('system', 'yt-dlp finished without reporting a file') : r.error(res);
  if (res.code !== 0) ctx.log.warn({ mediaId: item.id, err: r.error(res).message }, 'yt-dlp reported an error after archiving the item');
  progress({ fraction: 0.96, message: `checking ${item.id}` });
  await checkItem(item, r, ctx);
  progress({ fraction: 0.97, message: `uploading ${item.id}` });
  const files = await store(item, r, ctx, link, tools);
  progress({ fraction: 1, message: `archived ${item.id}` });
  return { mediaIds: [item.id], files };
}

async function archivePlaylist(
  probe: Extract<Probe, { kind: 'playlist' }>,
  target: LinkTarget,
  link: string,
  r: Runner,
  ctx: SourceContext,
  tools: Record<string, string>,
): Promise<LinkResult> {
  const files: StoredObject[] = [];
  const entryMeta: StoredObject[] = [];
  const records = new Map<number, PlaylistEntryRecord>();
  const missing: ProbeEntry[] = [];
  for (const e of probe.entries) {
    const prev = e.id ? await storedItem(ctx.store, ctx.prefix, ctx.job.rowId, e.id) : null;
    if (prev) {
      files.push(...prev.objects);
      entryMeta.push(prev.objects[prev.objects.length - 1]!);
      records.set(e.index, { mediaId: e.id!, index: e.index, ...(e.title ? { title: e.title } : {}), status: 'archived', metadataKey: prev.objects[prev.objects.length - 1]!.key });
    } else missing.push(e);
  }
  ctx.log.info({ playlist: probe.id, entries: probe.entries.length, missing: missing.length }, 'playlist listed');

  let error: ArchiveError | undefined;
  if (missing.length) {
    const plan = downloadPlan(r, target, ctx, true, missing.map((e) => e.index));
    const { items, res } = await r.download(plan, missing.length);
    let rejected: ArchiveError | undefined;
    for (const item of items) {
      const index = item.playlistIndex ?? missing.find((e) => e.id === item.id)?.index ?? 0;
      try {
        await checkItem(item, r, ctx);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        rejected ??= err instanceof ArchiveError ? err : new ArchiveError('system', String(err));
        ctx.log.warn({ mediaId: item.id, err: (err as Error).message }, 'stored media failed its check: entry counted as failed');
        continue;
      }
      const stored = await store(item, r, ctx, link, tools, { playlist: { id: probe.id, index } });
      files.push(...stored);
      const meta = stored[stored.length - 1]!;
      entryMeta.push(meta);
      records.set(index, { mediaId: item.id, index, ...(item.title ? { title: item.title } : {}), status: 'archived', metadataKey: meta.key });
    }
    const failed = missing.filter((e) => !records.has(e.index));
    for (const e of failed) records.set(e.index, { mediaId: e.id ?? `#${e.index}`, index: e.index, ...(e.title ? { title: e.title } : {}), status: 'failed' });
    if (failed.length) {
      const cause = rejected ?? (res.code !== 0 ? r.error(res) : new ArchiveError('system', 'yt-dlp skipped entries without an error'));
      error = new ArchiveError(cause.category, `${failed.length} of ${probe.entries.length} playlist entries failed: ${cause.message}`, { cause });
    }
  }
  if (!entryMeta.length) throw error ?? new ArchiveError('not_found', `playlist ${probe.id} has no entries`);

  const entries = [...records.values()].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const pl = await storePlaylist(ctx, link, { id: probe.id, ...(probe.title ? { title: probe.title } : {}), ...(probe.uploader ? { uploader: probe.uploader } : {}), count: probe.entries.length }, entries, entryMeta, tools);
  files.push(pl);
  ctx.onProgress({ fraction: 1, message: `playlist ${probe.id}: ${entryMeta.length}/${probe.entries.length} archived` });
  return error ? { mediaIds: [`playlist:${probe.id}`], files, error } : { mediaIds: [`playlist:${probe.id}`], files };
}
