/**
 * Archiving a plain file link through the public download flow (public.ts), for files the API
 * cannot see (404/403) or when no credentials are configured. A retry keeps a complete previous
 * public copy that is still stored whole.
 */
import { ArchiveError, toArchiveError } from '../../errors.js';
import { metadataKey, objectKey, sanitizeSegment } from '../../storage/layout.js';
import { writeMetadata, type MediaMetadata } from '../../storage/metadata.js';
import type { StoredObject } from '../../storage/types.js';
import type { LinkResult, RowContext, SourceContext } from '../types.js';
import { isAbortError } from './errors.js';
import { publicMetadata, storedMetadata } from './metadata.js';
import { publicDownload, type PublicDownloadResult } from './public.js';
import { keptPublicCopy } from './reuse.js';
import type { DriveSettings } from './settings.js';

/** A file link to fetch without the API. */
export interface PublicLink {
  /** the link as it was in the sheet */
  link: string;
  /** the file's Drive id */
  mediaId: string;
  resourceKey: string | undefined;
  row: RowContext;
  /** the link's previous metadata.json, for a retry */
  previous: MediaMetadata | null;
  /** why the API did not serve it (null: no credentials); joined to the message when the public flow fails too */
  apiError: ArchiveError | null;
}

/**
 * Archives the file of `a` with the public download flow, and its metadata.json.
 * @throws ArchiveError from the public flow, prefixed with the API error when there was one.
 */
export async function archivePublic(r: DriveSettings, a: PublicLink, ctx: SourceContext): Promise<LinkResult> {
  const { mediaId, resourceKey, row, apiError } = a;
  const kept = await keptPublicCopy(a.previous, ctx.store);
  if (kept) {
    ctx.onProgress({ fraction: 1, message: 'already archived' });
    const metaObj = await storedMetadata(ctx.store, metadataKey(ctx.prefix, row.rowId, 'drive', mediaId));
    const files: StoredObject[] = kept.map((f) => ({ key: f.key, size: f.size, sha256: f.sha256 }));
    return { mediaIds: [mediaId], files: [...files, metaObj] };
  }
  let result: PublicDownloadResult;
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
      onResume: (offset, reason) =>
        ctx.log.warn({ driveId: mediaId, offset, reason }, 'drive: public download dropped, resuming with Range'),
    });
  } catch (err) {
    if (isAbortError(err) || ctx.signal.aborted) throw err;
    const e = toArchiveError(err, 'network');
    if (!apiError) throw e;
    throw new ArchiveError(e.category, `${apiError.message}; then ${e.message}`, {
      cause: e,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    });
  }
  const s = result.stored;
  const metaStored = await writeMetadata(ctx.store, ctx.prefix, publicMetadata(row, a.link, mediaId, result, apiError));
  return { mediaIds: [mediaId], files: [{ key: s.key, size: s.size, sha256: s.sha256 }, metaStored] };
}
