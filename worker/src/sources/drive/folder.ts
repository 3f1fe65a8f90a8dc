/**
 * Folder listing: every file below a folder, recursively, with `files.list` paging
 * (https://developers.google.com/drive/api/guides/search-files), leaving out trashed items,
 * following shortcuts (https://developers.google.com/drive/api/guides/shortcuts) and guarding
 * against cycles. The max-files and max-bytes guards trip while listing, before any download.
 */
import type { drive_v3 } from 'googleapis';
import { ArchiveError } from '../../errors.js';
import { callOptions } from './client.js';
import { isAbortError, mapDriveError } from './errors.js';
import { FILE_FIELDS, FOLDER_MIME, SHORTCUT_MIME, type DriveFile } from './types.js';

/** One file found below the folder. */
export interface TreeEntry {
  /** the file to fetch (a shortcut's target when reached through one) */
  file: DriveFile;
  /** folder names from the link's folder down to the file's folder ([] at the top) */
  dir: string[];
  /** the name it is stored under (a shortcut's own name when reached through one) */
  name: string;
  /** resource keys needed to fetch it (`id → key`) */
  keys: Map<string, string>;
  /** the shortcut it was reached through */
  shortcutId?: string;
}

/** An item left out, with why: `trashed`, `cycle`, `duplicate`, `shortcut target unavailable: …`. */
export interface SkippedItem {
  id: string;
  path: string;
  reason: string;
}

export interface FolderTree {
  entries: TreeEntry[];
  /** every sub-folder's path (names joined by `/`), the link's folder excluded */
  folders: string[];
  skipped: SkippedItem[];
  /** sum of the sizes Drive reports (native files have none), bytes */
  knownBytes: number;
  /** files.list pages fetched */
  pages: number;
}

/** The files.list `q` for a folder's children: `'<id>' in parents and trashed = false`. */
export function childrenQuery(folderId: string): string {
  return `'${folderId.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' in parents and trashed = false`;
}

/**
 * Every child of one folder, all pages (supportsAllDrives, includeItemsFromAllDrives).
 * @throws ArchiveError mapped by mapDriveError.
 */
export async function listChildren(
  drive: drive_v3.Drive,
  folderId: string,
  keys: ReadonlyMap<string, string>,
  signal: AbortSignal,
  onPage?: () => void,
): Promise<DriveFile[]> {
  const out: DriveFile[] = [];
  let pageToken: string | undefined;
  do {
    let res;
    try {
      res = await drive.files.list(
        {
          q: childrenQuery(folderId),
          pageSize: 1000,
          fields: `nextPageToken,incompleteSearch,files(${FILE_FIELDS})`,
          supportsAllDrives: true,
          includeItemsFromAllDrives: true,
          ...(pageToken ? { pageToken } : {}),
        },
        callOptions({ keys, signal }),
      );
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw mapDriveError(err, `listing Drive folder ${folderId}`);
    }
    onPage?.();
    out.push(...(res.data.files ?? []));
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken);
  return out;
}

export interface WalkArgs {
  drive: drive_v3.Drive;
  /** the link's folder (metadata already read) */
  root: DriveFile;
  rootKeys: ReadonlyMap<string, string>;
  signal: AbortSignal;
  maxFiles: number;
  maxBytes: number;
  /** how the limit errors tell people to raise them */
  limitNames: { maxFiles: string; maxBytes: string };
  /** reads a shortcut's target; null when it cannot be seen (not found / no permission) */
  resolveShortcut: (shortcut: DriveFile, keys: Map<string, string>) => Promise<DriveFile | null>;
  onProgress?: (message: string) => void;
}

function bytesText(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/**
 * Lists a folder recursively (breadth first; children in name order), resolving shortcuts and
 * skipping trashed items, cycles and files met twice.
 * @throws ArchiveError('validation') when more than maxFiles files or more than maxBytes bytes
 *   are found (the message names the limit and how to raise it); listing errors mapped.
 */
export async function walkFolder(a: WalkArgs): Promise<FolderTree> {
  const tree: FolderTree = { entries: [], folders: [], skipped: [], knownBytes: 0, pages: 0 };
  const visited = new Set<string>([a.root.id!]);
  const seenFiles = new Set<string>();
  const queue: { id: string; dir: string[]; keys: Map<string, string> }[] = [{ id: a.root.id!, dir: [], keys: new Map(a.rootKeys) }];
  const rootName = `"${a.root.name ?? ''}" (${a.root.id})`;

  const addFile = (file: DriveFile, dir: string[], name: string, keys: Map<string, string>, shortcutId?: string) => {
    const path = [...dir, name].join('/');
    if (seenFiles.has(file.id!)) {
      tree.skipped.push({ id: file.id!, path, reason: 'duplicate' });
      return;
    }
    seenFiles.add(file.id!);
    tree.entries.push({ file, dir, name, keys, ...(shortcutId ? { shortcutId } : {}) });
    if (tree.entries.length > a.maxFiles) {
      throw new ArchiveError(
        'validation',
        `Drive folder ${rootName} holds more than ${a.maxFiles} files (the max-files limit); raise ${a.limitNames.maxFiles} to archive it`,
      );
    }
    const size = Number(file.size ?? 0);
    if (Number.isFinite(size)) tree.knownBytes += size;
    if (tree.knownBytes > a.maxBytes) {
      throw new ArchiveError(
        'validation',
        `Drive folder ${rootName} holds more than ${bytesText(a.maxBytes)} (the max-bytes limit of ${a.maxBytes} bytes); raise ${a.limitNames.maxBytes} to archive it`,
      );
    }
  };

  const enterFolder = (folder: DriveFile, dir: string[], name: string, keys: Map<string, string>) => {
    const path = [...dir, name].join('/');
    if (visited.has(folder.id!)) {
      tree.skipped.push({ id: folder.id!, path, reason: 'cycle' });
      return;
    }
    visited.add(folder.id!);
    tree.folders.push(path);
    queue.push({ id: folder.id!, dir: [...dir, name], keys });
  };

  while (queue.length) {
    const f = queue.shift()!;
    const children = await listChildren(a.drive, f.id, f.keys, a.signal, () => tree.pages++);
    children.sort((x, y) =>
      (x.name ?? '') < (y.name ?? '') ? -1 : (x.name ?? '') > (y.name ?? '') ? 1 : (x.id ?? '') < (y.id ?? '') ? -1 : 1,
    );
    a.onProgress?.(`listed ${tree.entries.length + children.length} items`);
    for (const child of children) {
      const name = child.name ?? child.id!;
      const path = [...f.dir, name].join('/');
      if (child.trashed) {
        tree.skipped.push({ id: child.id!, path, reason: 'trashed' });
        continue;
      }
      const keys = new Map(f.keys);
      if (child.resourceKey) keys.set(child.id!, child.resourceKey);
      if (child.mimeType === FOLDER_MIME) {
        enterFolder(child, f.dir, name, keys);
      } else if (child.mimeType === SHORTCUT_MIME) {
        const d = child.shortcutDetails;
        if (!d?.targetId) {
          tree.skipped.push({ id: child.id!, path, reason: 'shortcut without a target' });
          continue;
        }
        if (d.targetResourceKey) keys.set(d.targetId, d.targetResourceKey);
        if (d.targetMimeType === FOLDER_MIME && visited.has(d.targetId)) {
          tree.skipped.push({ id: child.id!, path, reason: 'cycle' });
          continue;
        }
        const target = await a.resolveShortcut(child, keys);
        if (!target) {
          tree.skipped.push({ id: child.id!, path, reason: 'shortcut target unavailable' });
          continue;
        }
        if (target.trashed) tree.skipped.push({ id: child.id!, path, reason: 'trashed' });
        else if (target.mimeType === FOLDER_MIME) enterFolder(target, f.dir, name, keys);
        else if (target.mimeType === SHORTCUT_MIME) tree.skipped.push({ id: child.id!, path, reason: 'shortcut to a shortcut' });
        else addFile(target, f.dir, name, keys, child.id!);
      } else {
        addFile(child, f.dir, name, keys);
      }
    }
  }
  return tree;
}
