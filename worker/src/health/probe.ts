/**
 * `doctor --probe URL`: one real metadata fetch of one link, the way a job fetches it (the host
 * guard on the link and on every connection, the same JS runtime, cookies, plugins and extra
 * arguments), with the outcome classified into the design §4 categories by the yt-dlp classifier.
 * Nothing is downloaded or stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorCategory } from '../../../shared/errors.js';
import { ArchiveError } from '../errors.js';
import { startGuardProxy, type GuardProxy } from '../net/guardProxy.js';
import { resolveLink, type Lookup } from '../net/hostGuard.js';
import { GENERIC_EXTRACTORS, YOUTUBE_EXTRACTORS } from '../sources/ytdlp/args.js';
import { findYtDlp, ytdlpVersion } from '../sources/ytdlp/binary.js';
import { classifyYtDlpStderr } from '../sources/ytdlp/classify.js';
import { runYtDlp } from '../sources/ytdlp/process.js';
import { DEFAULT_TOOL_CONFIG, insertToolArgs, prepareToolArgs, type YtDlpToolConfig } from '../sources/ytdlp/toolArgs.js';

export interface ProbeOptions {
  allowedHosts: string[];
  /** default findYtDlp() */
  ytdlpPath?: string;
  toolConfig?: YtDlpToolConfig;
  /** ms; default 90000 */
  timeoutMs?: number;
  /** DNS lookup for the guard (tests) */
  lookup?: Lookup;
}

/** What one probe found. `category` is set when it failed. */
export interface ProbeOutcome {
  ok: boolean;
  /** the link without query or fragment */
  link: string;
  ytdlp?: string;
  category?: ErrorCategory;
  message: string;
  /** media id, title and extractor when it worked; a playlist/channel's entry count */
  id?: string;
  title?: string;
  extractor?: string;
  entries?: number;
  /** formats that carry video or audio (0 with only storyboard images: the JS challenge was not solved) */
  mediaFormats?: number;
  /** yt-dlp's WARNING lines (n challenge, PO token…), at most 5 */
  warnings: string[];
  durationMs: number;
}

const redact = (u: string) => u.replace(/[?#].*$/, '');

/**
 * Probes one link. Never throws for the link's own failure: the outcome says what happened.
 */
export async function probeLink(url: string, o: ProbeOptions): Promise<ProbeOutcome> {
  const started = Date.now();
  const base = { link: redact(url), warnings: [] as string[] };
  const fail = (e: ArchiveError, extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
    ...base,
    ...extra,
    ok: false,
    category: e.category,
    message: e.message,
    durationMs: Date.now() - started,
  });
  let target;
  try {
    target = resolveLink(url, o.allowedHosts);
  } catch (err) {
    if (err instanceof ArchiveError) return fail(err);
    throw err;
  }
  const binary = o.ytdlpPath ?? findYtDlp();
  if (!binary) return fail(new ArchiveError('system', 'yt-dlp not found: install it (npm run setup) or set YTDLP_PATH'));
  const version = await ytdlpVersion(binary).catch(() => undefined);
  const v = version ? { ytdlp: version } : {};

  const scratch = await mkdtemp(join(tmpdir(), 'sheet-archiver-probe-'));
  let proxy: GuardProxy | null = null;
  try {
    proxy = await startGuardProxy({ allowedHosts: o.allowedHosts, ...(o.lookup ? { lookup: o.lookup } : {}) });
    const extractors = target.kind === 'youtube' ? YOUTUBE_EXTRACTORS : GENERIC_EXTRACTORS;
    const args = [
      '--ignore-config',
      '--no-cache-dir',
      '--no-colors',
      '--use-extractors',
      extractors.join(','),
      '--socket-timeout',
      '30',
      '--proxy',
      proxy.url,
      '--skip-download',
      '--flat-playlist',
      '--dump-single-json',
      '--',
      target.url,
    ];
    let toolArgs: string[];
    try {
      toolArgs = await prepareToolArgs(binary, o.toolConfig ?? DEFAULT_TOOL_CONFIG, scratch);
    } catch (err) {
      if (err instanceof ArchiveError) return fail(err, v);
      throw err;
    }
    const res = await runYtDlp(
      {
        binary,
        args: insertToolArgs(args, toolArgs),
        cwd: scratch,
        signal: new AbortController().signal,
        timeoutMs: o.timeoutMs ?? 90_000,
      },
      true,
    );
    const warnings = res.stderr
      .split('\n')
      .filter((l) => l.startsWith('WARNING:'))
      .slice(0, 5)
      .map((l) => l.slice(0, 300));
    const withWarnings = { ...v, warnings };
    if (res.timedOut)
      return fail(new ArchiveError('network', `yt-dlp timed out after ${Math.round((o.timeoutMs ?? 90_000) / 1000)} s`), withWarnings);
    if (res.spawnError) return fail(new ArchiveError('system', `cannot start yt-dlp: ${res.spawnError.message}`), withWarnings);
    if (res.code !== 0) {
      const c = classifyYtDlpStderr(res.stderr, { code: res.code, signal: res.signal });
      const e =
        proxy.refused.length && c.category !== 'validation'
          ? new ArchiveError('validation', `blocked by archiver host guard: ${proxy.refused[0]}`)
          : new ArchiveError(c.category, c.message);
      return fail(e, withWarnings);
    }
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(res.stdout) as Record<string, unknown>;
    } catch {
      return fail(new ArchiveError('system', 'yt-dlp printed no readable metadata'), withWarnings);
    }
    const s = (k: string) => (typeof doc[k] === 'string' && doc[k] ? (doc[k] as string) : undefined);
    const out: ProbeOutcome = {
      ...base,
      ...withWarnings,
      ok: true,
      message: 'metadata fetched',
      durationMs: Date.now() - started,
    };
    const id = s('id');
    const title = s('title');
    const extractor = s('extractor_key') ?? s('extractor');
    if (id) out.id = id;
    if (title) out.title = title;
    if (extractor) out.extractor = extractor;
    if (Array.isArray(doc['entries'])) out.entries = (doc['entries'] as unknown[]).length;
    if (Array.isArray(doc['formats'])) {
      // storyboards (the only formats left when the n challenge fails) have neither video nor audio
      const formats = doc['formats'] as { vcodec?: string | null; acodec?: string | null }[];
      out.mediaFormats = formats.filter((f) => !(f.vcodec === 'none' && f.acodec === 'none')).length;
      if (out.mediaFormats === 0) {
        return {
          ...out,
          ok: false,
          category: 'system',
          message:
            "Only images are available: yt-dlp could not solve YouTube's JavaScript challenge; update yt-dlp and check the JS runtime (docs/youtube.md)",
        };
      }
    }
    return out;
  } finally {
    await proxy?.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
