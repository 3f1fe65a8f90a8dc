/**
 * Planning a link's entries before anything is fetched: the object key of every output
 * (unique, sanitised, never `metadata.json` at the top; one per export format for native
 * files), what cannot be archived at all, and which previous copies a retry keeps (reuse.ts).
 */
import { ArchiveError } from '../../errors.js';
import { objectKey, sanitizeSegment } from '../../storage/layout.js';
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { SourceContext } from '../types.js';
import { labelOf } from './download.js';
import { exportTargets, type ExportTarget } from './export.js';
import type { FolderTree, SkippedItem, TreeEntry } from './folder.js';
import { previousCopies, reusable } from './reuse.js';
import type { DriveSettings } from './settings.js';
import { NATIVE_PREFIX } from './types.js';

/** One object an entry is stored as. */
export interface PlannedOutput {
  key: string;
  /** path below the media folder, sanitised */
  relPath: string;
  /** the export format, for native files */
  target?: ExportTarget;
}

/** One entry of the tree with where it goes. */
export interface PlannedEntry {
  entry: TreeEntry;
  /** path below the link's folder, Drive names joined by `/` */
  path: string;
  outputs: PlannedOutput[];
  /** previous copies, when they can be kept */
  reuse?: MetadataFile[];
  /** a failure known before any request (download disabled) */
  preError?: ArchiveError;
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

/**
 * Decides the object keys of every entry (unique, sanitised, never `metadata.json` at the top)
 * and which previous copies can be kept.
 * @returns the planned entries in tree order, and the native files that cannot be exported.
 */
export async function plan(
  r: DriveSettings,
  tree: FolderTree,
  previous: MediaMetadata | null,
  rowId: string,
  mediaId: string,
  ctx: SourceContext,
): Promise<{ planned: PlannedEntry[]; skipped: SkippedItem[] }> {
  const used = new Set<string>(['metadata.json']);
  const planned: PlannedEntry[] = [];
  const skipped: SkippedItem[] = [];
  const prev = previousCopies(previous);
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
    const reuse = await reusable(prev.entries.get(f.id!), prev.files, f, outputs, ctx.store);
    if (reuse) p.reuse = reuse;
    planned.push(p);
  }
  return { planned, skipped };
}
