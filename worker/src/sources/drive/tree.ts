/**
 * The entries a link archives, as a FolderTree: every file below a folder (listed by
 * folder.ts, shortcuts followed), or the one file the link is.
 */
import type { Logger } from '../../log.js';
import type { SourceContext } from '../types.js';
import { walkFolder, type FolderTree } from './folder.js';
import type { DriveSettings } from './settings.js';
import { shortcutTarget } from './target.js';
import type { DriveFile } from './types.js';

/** The tree of a single file link: one entry at the top, stored under the file's name. */
export function singleFileTree(file: DriveFile, keys: Map<string, string>): FolderTree {
  return {
    entries: [{ file, dir: [], name: file.name ?? file.id!, keys }],
    folders: [],
    skipped: [],
    knownBytes: Number(file.size ?? 0) || 0,
    pages: 0,
  };
}

/**
 * Lists everything below `folder`, reporting the listing as progress.
 * @throws ArchiveError('validation') when the maxFiles/maxBytes limits trip; listing errors mapped.
 */
export async function listFolder(
  r: DriveSettings,
  folder: DriveFile,
  rootKeys: Map<string, string>,
  ctx: SourceContext,
  log: Logger,
): Promise<FolderTree> {
  ctx.onProgress({ fraction: 0, message: 'listing folder' });
  const tree = await walkFolder({
    drive: r.drive!,
    root: folder,
    rootKeys,
    signal: ctx.signal,
    maxFiles: r.maxFiles,
    maxBytes: r.maxBytes,
    limitNames: r.limitNames,
    resolveShortcut: (sc, keys) => shortcutTarget(r.drive!, sc, keys, ctx.signal),
    onProgress: (message) => ctx.onProgress({ fraction: 0, message }),
  });
  log.info({ files: tree.entries.length, folders: tree.folders.length, pages: tree.pages, bytes: tree.knownBytes }, 'drive: folder listed');
  return tree;
}
