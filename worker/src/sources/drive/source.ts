/**
 * The Drive source (issue 4): archives one Drive/Docs link — a file, a Google-native document,
 * or a folder with everything below it — into `<prefix>/<row_id>/drive/<id>/…`, with a
 * metadata.json that traces every file to its row.
 *
 * Flow: metadata first (files.get); a shortcut is followed to its target; a folder is listed
 * recursively (folder.ts) and its files fetched `concurrency` at a time; binary files stream
 * from alt=media (download.ts), native files export (export.ts). When the API cannot see a
 * plain file link (404/403) the public download flow is tried (public.ts).
 * A retry fetches only what is missing: files whose previous copy (per the previous
 * metadata.json) has the same Drive size/md5 (native files: modifiedTime) and is still stored
 * with the same size are kept as they are.
 */
import { createHash } from 'node:crypto';
import type { drive_v3 } from 'googleapis';
import { parseLink } from '../../../../shared/links.js';
import type { JobProgress } from '../../../../shared/schemas.js';
import { RETRY_POLICIES } from '../../../../shared/errors.js';
import { ArchiveError, toArchiveError } from '../../errors.js';
import { metadataKey, objectKey, sanitizeSegment } from '../../storage/layout.js';
import { readMetadata, writeMetadata, type MediaMetadata, type MetadataFile } from '../../storage/metadata.js';
import type { StoredObject } from '../../storage/types.js';
import { VERSION } from '../../version.js';
import type { LinkResult, RowContext, Source, SourceContext } from '../types.js';
import { applySubject, callOptions, createDriveApi } from './client.js';
import { downloadMedia, labelOf } from './download.js';
import { isAbortError, mapDriveError } from './errors.js';
import { exportNative, exportTargets, type ExportTarget } from './export.js';
import { walkFolder, type FolderTree, type SkippedItem, type TreeEntry } from './folder.js';
import { publicDownload } from './public.js';
import {
  DEFAULTS,
  FILE_FIELDS,
  FOLDER_MIME,
  NATIVE_KINDS,
  NATIVE_PREFIX,
  SHORTCUT_MIME,
  type DriveFile,
  type DriveSourceOptions,
} from './types.js';

/** What metadata.json records per Drive item (`extra.entries`), used by a retry to skip what is stored. */
export interface EntryRecord {
  id: string;
  /** path below the link's folder, Drive names joined by `/` */
  path: string;
  mimeType: string;
  size?: number;
  md5Checksum?: string;
  modifiedTime?: string;
  shortcutId?: string;
  /** keys of the objects written for it (one per export format for native files) */
  keys: string[];
}

interface PlannedOutput {
  key: string;
  /** path below the media folder, sanitised */
  relPath: string;
  target?: ExportTarget;
}

interface PlannedEntry {
  entry: TreeEntry;
  path: string;
  outputs: PlannedOutput[];
  /** previous copies, when they can be kept */
  reuse?: MetadataFile[];
  /** a failure known before any request (download disabled) */
  preError?: ArchiveError;
}

interface Failure {
  /** index in the plan, for a stable order */
  index: number;
  id: string;
  path: string;
  error: ArchiveError;
}

interface Resolved {
  drive: drive_v3.Drive | null;
  opts: DriveSourceOptions;
  maxFiles: number;
  maxBytes: number;
  concurrency: number;
  maxResumes: number;
  stallTimeoutMs: number;
  publicBase: string;
  trustedOrigins: string[];
  limitNames: { maxFiles: string; maxBytes: string };
}

const TOOLS = { 'sheet-archiver': VERSION, 'drive-api': 'v3' };

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rowOf(ctx: SourceContext): RowContext {
  const j = ctx.job;
  return { rowId: j.rowId, name: j.name, email: j.email, type: j.type, spreadsheetId: j.spreadsheetId, sheetId: j.sheetId, sheetName: j.sheetName };
}

/** `name.ext`, unless the name already ends with `.ext`. */
function withExt(name: string, ext: string): string {
  return name.toLowerCase().endsWith(`.${ext.toLowerCase()}`) ? name : `${name}.${ext}`;
}

/** Inserts ` (<tag>)` before the extension of the last segment. */
function disambiguate(relPath: string, tag: string): string {
  const slash = relPath.lastIndexOf('/');
  const dir = relPath.slice(0, slash + 1);
  const file = relPath.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [file.slice(0, dot), file.slice(dot)] : [file, ''];
  return dir + sanitizeSegment(`${stem} (${tag})${ext}`);
}

/** Runs `fn` over items, at most `n` at once; stops taking new items after a thrown error. */
async function runPool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        stopped = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** The error a job reports for several failures: the first retryable one (so a retry fetches what is missing), else the first. */
function summarize(failures: Failure[], total: number): ArchiveError {
  const pick = failures.find((f) => RETRY_POLICIES[f.error.category].retry) ?? failures[0]!;
  if (failures.length === 1 && total === 1) return pick.error;
  return new ArchiveError(pick.error.category, `${failures.length} of ${total} Drive files failed; ${pick.path}: ${pick.error.message}`, {
    cause: pick.error,
    ...(pick.error.retryAfterMs !== undefined ? { retryAfterMs: pick.error.retryAfterMs } : {}),
  });
}

/** Throttled progress for one link: bytes when every size is known, else files. */
class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly perEntry = new Map<number, number>();
  private doneBytes = 0;
  filesDone = 0;

  constructor(
    private readonly emit: (p: JobProgress) => void,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    private readonly bytesKnown: boolean,
  ) {}

  bytes(i: number, n: number): void {
    this.doneBytes += n - (this.perEntry.get(i) ?? 0);
    this.perEntry.set(i, n);
    this.tick(false);
  }

  fileDone(): void {
    this.filesDone++;
    this.tick(this.filesDone === this.totalFiles);
  }

  private tick(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const fraction = this.bytesKnown && this.totalBytes > 0 ? this.doneBytes / this.totalBytes : this.totalFiles > 0 ? this.filesDone / this.totalFiles : 1;
    const secs = (now - this.started) / 1000;
    this.emit({
      fraction: Math.max(0, Math.min(1, fraction)),
      bytes: this.doneBytes,
      ...(this.bytesKnown ? { totalBytes: this.totalBytes } : {}),
      ...(secs > 0 ? { speed: Math.round(this.doneBytes / secs) } : {}),
      message: `${this.filesDone}/${this.totalFiles} files`,
    });
  }
}

async function getFile(drive: drive_v3.Drive, fileId: string, keys: ReadonlyMap<string, string>, signal: AbortSignal): Promise<DriveFile> {
  const res = await drive.files.get({ fileId, fields: FILE_FIELDS, supportsAllDrives: true }, callOptions({ keys, signal }));
  return res.data;
}

/**
 * Creates the Drive source.
 * @param opts see DriveSourceOptions; `auth: null` archives public files only (no folders, no native documents).
 * @throws ArchiveError('validation') for an unknown export format.
 */
export function createDriveSource(opts: DriveSourceOptions): Source {
  applySubject(opts.auth, opts.subject);
  for (const mime of Object.keys(NATIVE_KINDS)) exportTargets(mime, opts.exportFormats);
  const rootUrl = opts.rootUrl ?? DEFAULTS.rootUrl;
  const r: Resolved = {
    drive: opts.auth ? createDriveApi(opts.auth, opts.rootUrl) : null,
    opts,
    maxFiles: opts.maxFiles ?? DEFAULTS.maxFiles,
    maxBytes: opts.maxBytes ?? DEFAULTS.maxBytes,
    concurrency: Math.max(1, opts.concurrency ?? DEFAULTS.concurrency),
    maxResumes: opts.maxResumes ?? DEFAULTS.maxResumes,
    stallTimeoutMs: opts.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
    publicBase: opts.publicDownloadBaseUrl ?? DEFAULTS.publicDownloadBaseUrl,
    trustedOrigins: [new URL(rootUrl).origin],
    limitNames: {
      maxFiles: opts.limitNames?.maxFiles ?? 'the Drive maxFiles option',
      maxBytes: opts.limitNames?.maxBytes ?? 'the Drive maxBytes option',
    },
  };
  return {
    name: 'drive',
    archive: (link, ctx) => archiveLink(r, link, ctx),
  };
}

async function archiveLink(r: Resolved, link: string, ctx: SourceContext): Promise<LinkResult> {
  const parsed = parseLink(link);
  if (!parsed || parsed.source !== 'drive') throw new ArchiveError('validation', `not a Google Drive or Docs link: ${link.replace(/[?#].*$/, '')}`);
  const row = rowOf(ctx);
  const mediaId = parsed.id;
  const rootKeys = new Map<string, string>(parsed.resourceKey ? [[parsed.id, parsed.resourceKey]] : []);
  const previous = await readMetadata(ctx.store, metadataKey(ctx.prefix, row.rowId, 'drive', mediaId));
  const log = ctx.log.child({ driveId: mediaId });

  let meta: DriveFile | null = null;
  let apiError: ArchiveError | null = null;
  if (r.drive) {
    try {
      meta = await getFile(r.drive, mediaId, rootKeys, ctx.signal);
    } catch (err) {
      if (isAbortError(err)) throw err;
      apiError = mapDriveError(err, `reading Drive metadata of ${mediaId}`);
    }
  }
  if (!meta) {
    const fallback =
      r.opts.publicFallback !== false && parsed.kind === 'file' && (!apiError || apiError.category === 'not_found' || apiError.category === 'permission');
    if (!fallback) {
      throw apiError ?? new ArchiveError('permission', `Drive ${parsed.kind} links need Drive credentials (a service account); none is configured`);
    }
    log.debug({ apiError: apiError?.message }, 'drive: trying the public download flow');
    return archivePublic(r, link, mediaId, parsed.resourceKey, row, previous, apiError, ctx);
  }

  // A shortcut link archives its target under the link's id.
  let target = meta;
  let shortcut: DriveFile | undefined;
  if (meta.mimeType === SHORTCUT_MIME) {
    const d = meta.shortcutDetails;
    if (!d?.targetId) throw new ArchiveError('not_found', `Drive shortcut ${labelOf(meta)} has no target`);
    if (d.targetResourceKey) rootKeys.set(d.targetId, d.targetResourceKey);
    try {
      target = await getFile(r.drive!, d.targetId, rootKeys, ctx.signal);
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw mapDriveError(err, `reading the target of Drive shortcut ${labelOf(meta)}`);
    }
    shortcut = meta;
  }

  const isFolder = target.mimeType === FOLDER_MIME;
  let tree: FolderTree;
  if (isFolder) {
    ctx.onProgress({ fraction: 0, message: 'listing folder' });
    tree = await walkFolder({
      drive: r.drive!,
      root: target,
      rootKeys,
      signal: ctx.signal,
      maxFiles: r.maxFiles,
      maxBytes: r.maxBytes,
      limitNames: r.limitNames,
      resolveShortcut: async (sc, keys) => {
        try {
          return await getFile(r.drive!, sc.shortcutDetails!.targetId!, keys, ctx.signal);
        } catch (err) {
          if (isAbortError(err)) throw err;
          const e = mapDriveError(err, `reading the target of Drive shortcut ${labelOf(sc)}`);
          if (e.category === 'not_found' || e.category === 'permission') return null;
          throw e;
        }
      },
      onProgress: (message) => ctx.onProgress({ fraction: 0, message }),
    });
    log.info({ files: tree.entries.length, folders: tree.folders.length, pages: tree.pages, bytes: tree.knownBytes }, 'drive: folder listed');
  } else {
    tree = {
      entries: [{ file: target, dir: [], name: target.name ?? target.id!, keys: rootKeys }],
      folders: [],
      skipped: [],
      knownBytes: Number(target.size ?? 0) || 0,
      pages: 0,
    };
  }

  const { planned, skipped } = await plan(r, tree, previous, row.rowId, mediaId, ctx);
  const single = !isFolder;
  if (single && skipped.length) {
    throw new ArchiveError('validation', `Drive file ${labelOf(target)} (${target.mimeType}) cannot be archived: ${skipped[0]!.reason}`);
  }

  const toFetch = planned.filter((p) => !p.reuse && !p.preError);
  const bytesKnown = toFetch.every((p) => !p.outputs.some((o) => o.target) && p.entry.file.size != null);
  const totalBytes = toFetch.reduce((s, p) => s + (Number(p.entry.file.size ?? 0) || 0), 0);
  const progress = new Progress(ctx.onProgress, totalBytes, planned.length, bytesKnown);

  const results = new Map<number, MetadataFile[]>();
  const failures: Failure[] = [];
  const via = new Map<string, string>();
  await runPool(planned, r.concurrency, async (p, i) => {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
    if (p.reuse) {
      results.set(i, p.reuse);
      progress.fileDone();
      return;
    }
    try {
      if (p.preError) throw p.preError;
      const files: MetadataFile[] = [];
      for (const out of p.outputs) {
        if (out.target) {
          const s = await exportNative({
            drive: r.drive!,
            auth: r.opts.auth,
            file: p.entry.file,
            target: out.target,
            keys: p.entry.keys,
            store: ctx.store,
            key: out.key,
            rowId: row.rowId,
            signal: ctx.signal,
            trustedOrigins: r.trustedOrigins,
          });
          via.set(out.key, s.via);
          files.push({ key: s.key, size: s.size, sha256: s.sha256, path: out.relPath });
        } else {
          const s = await downloadMedia({
            drive: r.drive!,
            file: p.entry.file,
            keys: p.entry.keys,
            acknowledgeAbuse: r.opts.acknowledgeAbuse ?? false,
            store: ctx.store,
            key: out.key,
            rowId: row.rowId,
            signal: ctx.signal,
            maxResumes: r.maxResumes,
            stallTimeoutMs: r.stallTimeoutMs,
            onBytes: (n) => progress.bytes(i, n),
            onResume: (offset, reason) => log.warn({ fileId: p.entry.file.id, offset, reason }, 'drive: connection dropped, resuming with Range'),
          });
          files.push({ key: s.key, size: s.size, sha256: s.sha256, ...(p.entry.file.md5Checksum ? { md5: s.md5 } : {}), path: out.relPath });
        }
      }
      results.set(i, files);
    } catch (err) {
      if (ctx.signal.aborted || isAbortError(err)) throw err;
      const e = toArchiveError(err);
      log.warn({ fileId: p.entry.file.id, category: e.category, err: e.message }, 'drive: file failed');
      failures.push({ index: i, id: p.entry.file.id!, path: p.path, error: e });
    } finally {
      progress.fileDone();
    }
  });

  failures.sort((x, y) => x.index - y.index);
  const files: MetadataFile[] = [];
  const entries: EntryRecord[] = [];
  planned.forEach((p, i) => {
    const got = results.get(i);
    if (!got) return;
    files.push(...got);
    const f = p.entry.file;
    entries.push({
      id: f.id!,
      path: p.path,
      mimeType: f.mimeType ?? '',
      ...(f.size != null ? { size: Number(f.size) } : {}),
      ...(f.md5Checksum ? { md5Checksum: f.md5Checksum } : {}),
      ...(f.modifiedTime ? { modifiedTime: f.modifiedTime } : {}),
      ...(p.entry.shortcutId ? { shortcutId: p.entry.shortcutId } : {}),
      keys: got.map((g) => g.key),
    });
  });

  if (files.length === 0 && failures.length > 0) throw summarize(failures, planned.length);

  const kind = isFolder ? 'folder' : (NATIVE_KINDS[target.mimeType ?? ''] ?? 'file');
  const metadata: MediaMetadata = {
    schema: 1,
    row,
    source: 'drive',
    mediaId,
    url: link,
    title: target.name ?? mediaId,
    extra: {
      kind,
      via: 'api',
      mimeType: target.mimeType,
      ...(target.driveId ? { driveId: target.driveId } : {}),
      ...(shortcut ? { shortcut: { id: shortcut.id, name: shortcut.name, targetId: target.id } } : {}),
      ...(!isFolder && target.size != null ? { size: Number(target.size) } : {}),
      ...(!isFolder && target.md5Checksum ? { md5Checksum: target.md5Checksum } : {}),
      ...(target.modifiedTime ? { modifiedTime: target.modifiedTime } : {}),
      ...(isFolder ? { folders: tree.folders, fileCount: entries.length } : {}),
      ...(via.size ? { exportedVia: Object.fromEntries(via) } : {}),
      entries,
      skipped: [...tree.skipped, ...skipped],
      failed: failures.map((f) => ({ id: f.id, path: f.path, category: f.error.category, message: f.error.message })),
      complete: failures.length === 0,
    },
    files,
    archivedAt: isoNow(),
    tools: TOOLS,
  };
  const metaStored = await writeMetadata(ctx.store, ctx.prefix, metadata);
  log.info({ files: files.length, failed: failures.length, reused: planned.filter((p) => p.reuse).length }, 'drive: link archived');
  const stored: StoredObject[] = files.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256, ...(f.md5 ? { md5: f.md5 } : {}) }));
  return {
    mediaIds: [mediaId],
    files: [...stored, metaStored],
    ...(failures.length ? { error: summarize(failures, planned.length) } : {}),
  };
}

/**
 * Decides the object keys of every entry (unique, sanitised, never `metadata.json` at the top)
 * and which previous copies can be kept.
 */
async function plan(
  r: Resolved,
  tree: FolderTree,
  previous: MediaMetadata | null,
  rowId: string,
  mediaId: string,
  ctx: SourceContext,
): Promise<{ planned: PlannedEntry[]; skipped: SkippedItem[] }> {
  const used = new Set<string>(['metadata.json']);
  const planned: PlannedEntry[] = [];
  const skipped: SkippedItem[] = [];
  const prevEntries = new Map<string, EntryRecord>();
  const prevFiles = new Map<string, MetadataFile>();
  if (previous && previous.source === 'drive' && Array.isArray(previous.extra?.['entries'])) {
    for (const e of previous.extra['entries'] as EntryRecord[]) if (e && typeof e.id === 'string') prevEntries.set(e.id, e);
    for (const f of previous.files ?? []) prevFiles.set(f.key, f);
  }
  const unique = (rel: string, id: string): string => {
    let out = rel;
    if (used.has(out.toLowerCase())) out = disambiguate(rel, id);
    for (let n = 2; used.has(out.toLowerCase()); n++) out = disambiguate(rel, `${id} ${n}`);
    used.add(out.toLowerCase());
    return out;
  };

  for (const entry of tree.entries) {
    const f = entry.file;
    const mime = f.mimeType ?? 'application/octet-stream';
    const path = [...entry.dir, entry.name].join('/');
    const dir = entry.dir.map(sanitizeSegment);
    const outputs: PlannedOutput[] = [];
    let preError: ArchiveError | undefined;
    if (mime.startsWith(NATIVE_PREFIX)) {
      const targets = exportTargets(mime, r.opts.exportFormats);
      if (!targets) {
        skipped.push({ id: f.id!, path, reason: `${mime} cannot be exported` });
        continue;
      }
      if (!r.drive) preError = new ArchiveError('permission', `exporting ${labelOf(f)} needs Drive credentials`);
      for (const t of targets) {
        const rel = unique([...dir, sanitizeSegment(withExt(entry.name, t.ext))].join('/'), f.id!);
        outputs.push({ key: objectKey(ctx.prefix, rowId, 'drive', mediaId, rel), relPath: rel, target: t });
      }
    } else {
      const rel = unique([...dir, sanitizeSegment(entry.name)].join('/'), f.id!);
      outputs.push({ key: objectKey(ctx.prefix, rowId, 'drive', mediaId, rel), relPath: rel });
      if (f.capabilities?.canDownload === false) {
        preError = new ArchiveError('permission', `downloading ${labelOf(f)}: the owner has disabled downloading for viewers (capabilities.canDownload is false)`);
      }
    }
    const p: PlannedEntry = { entry, path, outputs, ...(preError ? { preError } : {}) };
    const reuse = await reusable(prevEntries.get(f.id!), prevFiles, f, outputs, ctx);
    if (reuse) p.reuse = reuse;
    planned.push(p);
  }
  return { planned, skipped };
}

/** The previous copies of an entry when Drive's file is unchanged and every copy is still stored whole. */
async function reusable(
  prev: EntryRecord | undefined,
  prevFiles: Map<string, MetadataFile>,
  f: DriveFile,
  outputs: PlannedOutput[],
  ctx: SourceContext,
): Promise<MetadataFile[] | null> {
  if (!prev) return null;
  const native = (f.mimeType ?? '').startsWith(NATIVE_PREFIX);
  if (native) {
    if (!f.modifiedTime || prev.modifiedTime !== f.modifiedTime) return null;
  } else {
    if (f.size == null || prev.size !== Number(f.size)) return null;
    if ((f.md5Checksum ?? undefined) !== prev.md5Checksum) return null;
  }
  if (prev.keys.length !== outputs.length || outputs.some((o, i) => prev.keys[i] !== o.key)) return null;
  const out: MetadataFile[] = [];
  for (const o of outputs) {
    const pf = prevFiles.get(o.key);
    if (!pf) return null;
    const head = await ctx.store.head(o.key);
    if (!head || head.size !== pf.size) return null;
    if (!native && f.md5Checksum && pf.md5 !== f.md5Checksum) return null;
    out.push(pf);
  }
  return out;
}

async function archivePublic(
  r: Resolved,
  link: string,
  mediaId: string,
  resourceKey: string | undefined,
  row: RowContext,
  previous: MediaMetadata | null,
  apiError: ArchiveError | null,
  ctx: SourceContext,
): Promise<LinkResult> {
  // A retry keeps a complete previous public copy that is still stored whole.
  if (previous?.extra?.['via'] === 'public' && previous.extra['complete'] === true && previous.files.length > 0) {
    let whole = true;
    for (const f of previous.files) {
      const h = await ctx.store.head(f.key);
      if (!h || h.size !== f.size) whole = false;
    }
    if (whole) {
      ctx.onProgress({ fraction: 1, message: 'already archived' });
      const metaKey = metadataKey(ctx.prefix, row.rowId, 'drive', mediaId);
      const metaText = (await ctx.store.getText(metaKey)) ?? '';
      const metaObj: StoredObject = { key: metaKey, size: Buffer.byteLength(metaText), sha256: createHash('sha256').update(metaText).digest('hex') };
      const files: StoredObject[] = previous.files.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256 }));
      return { mediaIds: [mediaId], files: [...files, metaObj] };
    }
  }
  let result;
  try {
    result = await publicDownload({
      baseUrl: r.publicBase,
      id: mediaId,
      ...(resourceKey ? { resourceKey } : {}),
      store: ctx.store,
      rowId: row.rowId,
      keyFor: (name) => {
        const seg = sanitizeSegment(name);
        return objectKey(ctx.prefix, row.rowId, 'drive', mediaId, seg.toLowerCase() === 'metadata.json' ? `_${seg}` : seg);
      },
      signal: ctx.signal,
      maxResumes: r.maxResumes,
      stallTimeoutMs: r.stallTimeoutMs,
      onBytes: (bytes, total) =>
        ctx.onProgress({ fraction: total ? Math.min(1, bytes / total) : 0, bytes, ...(total ? { totalBytes: total } : {}) }),
      onResume: (offset, reason) => ctx.log.warn({ driveId: mediaId, offset, reason }, 'drive: public download dropped, resuming with Range'),
    });
  } catch (err) {
    if (isAbortError(err) || ctx.signal.aborted) throw err;
    const e = toArchiveError(err, 'network');
    if (!apiError) throw e;
    throw new ArchiveError(e.category, `${apiError.message}; then ${e.message}`, { cause: e, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) });
  }
  const s = result.stored;
  const rel = s.key.slice(s.key.lastIndexOf('/') + 1);
  const metadata: MediaMetadata = {
    schema: 1,
    row,
    source: 'drive',
    mediaId,
    url: link,
    title: result.name,
    extra: {
      kind: 'file',
      via: 'public',
      ...(result.contentType ? { mimeType: result.contentType } : {}),
      ...(result.size !== undefined ? { size: result.size } : {}),
      virusScanConfirmed: result.confirmed,
      ...(apiError ? { apiError: `${apiError.category}: ${apiError.message}` } : {}),
      entries: [{ id: mediaId, path: result.name, mimeType: result.contentType ?? '', keys: [s.key] }],
      complete: true,
    },
    files: [{ key: s.key, size: s.size, sha256: s.sha256, path: rel }],
    archivedAt: isoNow(),
    tools: TOOLS,
  };
  const metaStored = await writeMetadata(ctx.store, ctx.prefix, metadata);
  return { mediaIds: [mediaId], files: [{ key: s.key, size: s.size, sha256: s.sha256 }, metaStored] };
}
