/**
 * Reading Drive items by id: files.get with the fields the source needs, and following
 * shortcuts (https://developers.google.com/drive/api/guides/shortcuts) to their targets.
 */
import type { drive_v3 } from 'googleapis';
import { ArchiveError } from '../../errors.js';
import { callOptions } from './client.js';
import { labelOf } from './download.js';
import { isAbortError, mapDriveError } from './errors.js';
import { FILE_FIELDS, SHORTCUT_MIME, type DriveFile } from './types.js';

/** files.get (FILE_FIELDS, shared drives included), sending the resource keys in `keys`; errors are thrown as they come. */
export async function getFile(
  drive: drive_v3.Drive,
  fileId: string,
  keys: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<DriveFile> {
  const res = await drive.files.get({ fileId, fields: FILE_FIELDS, supportsAllDrives: true }, callOptions({ keys, signal }));
  return res.data;
}

/**
 * The item a link archives: `meta` itself, or, when `meta` is a shortcut, its target (whose
 * resource key is added to `keys`) together with the shortcut.
 * @throws ArchiveError('not_found') for a shortcut without a target; the target's read error, mapped.
 */
export async function followShortcut(
  drive: drive_v3.Drive,
  meta: DriveFile,
  keys: Map<string, string>,
  signal: AbortSignal,
): Promise<{ target: DriveFile; shortcut?: DriveFile }> {
  if (meta.mimeType !== SHORTCUT_MIME) return { target: meta };
  const d = meta.shortcutDetails;
  if (!d?.targetId) throw new ArchiveError('not_found', `Drive shortcut ${labelOf(meta)} has no target`);
  if (d.targetResourceKey) keys.set(d.targetId, d.targetResourceKey);
  let target: DriveFile;
  try {
    target = await getFile(drive, d.targetId, keys, signal);
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw mapDriveError(err, `reading the target of Drive shortcut ${labelOf(meta)}`);
  }
  return { target, shortcut: meta };
}

/**
 * The target of a shortcut met inside a folder; null when it cannot be seen (not found / no
 * permission), so the folder listing skips it.
 */
export async function shortcutTarget(
  drive: drive_v3.Drive,
  shortcut: DriveFile,
  keys: Map<string, string>,
  signal: AbortSignal,
): Promise<DriveFile | null> {
  try {
    return await getFile(drive, shortcut.shortcutDetails!.targetId!, keys, signal);
  } catch (err) {
    if (isAbortError(err)) throw err;
    const e = mapDriveError(err, `reading the target of Drive shortcut ${labelOf(shortcut)}`);
    if (e.category === 'not_found' || e.category === 'permission') return null;
    throw e;
  }
}
