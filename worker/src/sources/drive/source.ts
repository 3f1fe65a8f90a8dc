/**
 * The Drive source (issue 4): archives one Drive/Docs link — a file, a Google-native document,
 * or a folder with everything below it — into `<prefix>/<row_id>/drive/<id>/…`, with a
 * metadata.json that traces every file to its row.
 *
 * This module is the entry point: it checks the options, parses the link, reads the item's
 * metadata (files.get; a shortcut is followed to its target, target.ts) and dispatches —
 * to archive-api.ts when the API can read the item, else, for a plain file link (404/403 or no
 * credentials), to the public download flow (archive-public.ts).
 *
 * The API path: tree.ts (the entries; folders listed by folder.ts) → plan.ts (keys; reuse.ts:
 * what a retry keeps) → fetch.ts (`concurrency` at a time; download.ts, export.ts; progress.ts,
 * failures.ts) → metadata.ts (metadata.json).
 */
import { parseLink } from '../../../../shared/links.js';
import { ArchiveError } from '../../errors.js';
import { metadataKey } from '../../storage/layout.js';
import { readMetadata } from '../../storage/metadata.js';
import type { LinkResult, Source, SourceContext } from '../types.js';
import { archiveApi } from './archive-api.js';
import { archivePublic } from './archive-public.js';
import { applySubject } from './client.js';
import { isAbortError, mapDriveError } from './errors.js';
import { exportTargets } from './export.js';
import { rowOf } from './metadata.js';
import { resolveSettings, type DriveSettings } from './settings.js';
import { followShortcut, getFile } from './target.js';
import { NATIVE_KINDS, type DriveFile, type DriveSourceOptions } from './types.js';

export type { EntryRecord } from './metadata.js';

/**
 * Creates the Drive source.
 * @param opts see DriveSourceOptions; `auth: null` archives public files only (no folders, no native documents).
 * @throws ArchiveError('validation') for an unknown export format.
 */
export function createDriveSource(opts: DriveSourceOptions): Source {
  applySubject(opts.auth, opts.subject);
  for (const mime of Object.keys(NATIVE_KINDS)) exportTargets(mime, opts.exportFormats);
  const r = resolveSettings(opts);
  return {
    name: 'drive',
    archive: (link, ctx) => archiveLink(r, link, ctx),
  };
}

/** Archives one link: reads what it points at and hands it to the API path or the public flow. */
async function archiveLink(r: DriveSettings, link: string, ctx: SourceContext): Promise<LinkResult> {
  const parsed = parseLink(link);
  if (!parsed || parsed.source !== 'drive')
    throw new ArchiveError('validation', `not a Google Drive or Docs link: ${link.replace(/[?#].*$/, '')}`);
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
      r.opts.publicFallback !== false &&
      parsed.kind === 'file' &&
      (!apiError || apiError.category === 'not_found' || apiError.category === 'permission');
    if (!fallback) {
      throw (
        apiError ??
        new ArchiveError('permission', `Drive ${parsed.kind} links need Drive credentials (a service account); none is configured`)
      );
    }
    log.debug({ apiError: apiError?.message }, 'drive: trying the public download flow');
    return archivePublic(r, { link, mediaId, resourceKey: parsed.resourceKey, row, previous, apiError }, ctx);
  }

  // A shortcut link archives its target under the link's id.
  const { target, shortcut } = await followShortcut(r.drive!, meta, rootKeys, ctx.signal);
  return archiveApi(r, { link, mediaId, target, shortcut, rootKeys, row, previous, log }, ctx);
}
