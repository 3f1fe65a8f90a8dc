/**
 * Planning a link's entries before anything is fetched: the object key of every output
 * (unique, sanitised, never `metadata.json` at the top; one per export format for native
 * files), what cannot be archived at all, which previous copies a retry keeps (reuse.ts), and
 * which archive version the run writes (versions.ts: what changed goes under `v<N>/`).
 */
import { ArchiveError } from '../../errors.js';
import { mediaPrefix, objectKey, sanitizeSegment } from '../../storage/layout.js';
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { SourceContext } from '../types.js';
import { labelOf } from './download.js';
import { exportTargets, type ExportTarget } from './export.js';
import type { FolderTree, SkippedItem, TreeEntry } from './folder.js';
import { previousCopies, reusable } from './reuse.js';
import type { DriveSettings } from './settings.js';
import { NATIVE_PREFIX } from './types.js';
import { currentVersion, hasChanged, isVersionDirName, versionDir } from './versions.js';

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

/** What plan decided. */
export interface Plan {
  planned: PlannedEntry[];
  skipped: SkippedItem[];
  /** the archive version this run writes: the previous one, or one more when Drive's copy changed */
  version: number;
  /** true when `version` is new (something changed or went since the previous metadata.json) */
  newVersion: boolean;
}

/**
 * Decides the object keys of every entry (unique, sanitised, never `metadata.json` or a `v<N>`
 * version folder at the top) and which previous copies can be kept. An unchanged entry keeps its
 * previous keys; a changed or new one goes under the run's version folder (versions.ts).
 * @returns the planned entries in tree order, the native files that cannot be exported, and the version.
 */
export async function plan(
  r: DriveSettings,
  tree: FolderTree,
  previous: MediaMetadata | null,
  rowId: string,
  mediaId: string,
  ctx: SourceContext,
): Promise<Plan> {
  const used = new Set<string>(['metadata.json']);
  const planned: PlannedEntry[] = [];
  const skipped: SkippedItem[] = [];
  const prev = previousCopies(previous);
  const inTree = new Set(tree.entries.map((e) => e.file.id!));
  const changed =
    tree.entries.some((e) => {
      const pe = prev.entries.get(e.file.id!);
      return pe !== undefined && hasChanged(pe, e.file);
    }) || [...prev.entries.keys()].some((id) => !inTree.has(id));
  const version = previous ? currentVersion(previous) + (changed ? 1 : 0) : 1;
  const vdir = versionDir(version);
  const folder = mediaPrefix(ctx.prefix, rowId, 'drive', mediaId);
  /** The previous keys of an unchanged entry with as many outputs, else null (a new key is planned). */
  const keptKeys = (f: (typeof tree.entries)[number]['file'], n: number): string[] | null => {
    const pe = prev.entries.get(f.id!);
    return pe && !hasChanged(pe, f) && pe.keys.length === n && pe.keys.every((k) => k.startsWith(folder)) ? pe.keys : null;
  };
  const output = (rel: string, kept: string | undefined, target?: ExportTarget): PlannedOutput => {
    const key = kept ?? objectKey(ctx.prefix, rowId, 'drive', mediaId, vdir + rel);
    const relPath = kept ? (prev.files.get(kept)?.path ?? kept.slice(folder.length)) : vdir + rel;
    return { key, relPath, ...(target ? { target } : {}) };
  };
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
    // a top-level `v2` folder (or file) would share a key with version 2's folder: suffix it
    if (dir.length && isVersionDirName(dir[0]!)) dir[0] = `${dir[0]}_`;
    const top = (name: string) => (dir.length === 0 && isVersionDirName(name) ? `${name}_` : name);
    const outputs: PlannedOutput[] = [];
    let preError: ArchiveError | undefined;
    if (mime.startsWith(NATIVE_PREFIX)) {
      const targets = exportTargets(mime, r.opts.exportFormats);
      if (!targets) {
        skipped.push({ id: f.id!, path, reason: `${mime} cannot be exported` });
        continue;
      }
      if (!r.drive) preError = new ArchiveError('permission', `exporting ${labelOf(f)} needs Drive credentials`);
      const kept = keptKeys(f, targets.length);
      targets.forEach((t, i) => {
        const rel = unique([...dir, top(sanitizeSegment(withExt(entry.name, t.ext)))].join('/'), f.id!);
        outputs.push(output(rel, kept?.[i], t));
      });
    } else {
      const rel = unique([...dir, top(sanitizeSegment(entry.name))].join('/'), f.id!);
      outputs.push(output(rel, keptKeys(f, 1)?.[0]));
      if (f.capabilities?.canDownload === false) {
        preError = new ArchiveError(
          'permission',
          `downloading ${labelOf(f)}: the owner has disabled downloading for viewers (capabilities.canDownload is false)`,
        );
      }
    }
    const p: PlannedEntry = { entry, path, outputs, ...(preError ? { preError } : {}) };
    const reuse = await reusable(prev.entries.get(f.id!), prev.files, f, outputs, ctx.store);
    if (reuse) p.reuse = reuse;
    planned.push(p);
  }
  return { planned, skipped, version, newVersion: !!previous && changed };
}
