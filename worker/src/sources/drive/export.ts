/**
 * Google-native files (Docs, Sheets, Slides, Drawings) exported to ordinary formats with
 * `files.export` (https://developers.google.com/drive/api/reference/rest/v3/files/export).
 * files.export refuses files whose export exceeds 10 MB (403 exportSizeLimitExceeded); those
 * are fetched from the file's `exportLinks` instead, with the same credentials.
 */
import type { Readable } from 'node:stream';
import type { drive_v3 } from 'googleapis';
import { ArchiveError } from '../../errors.js';
import type { ObjectStore, StoredObject } from '../../storage/types.js';
import { callOptions } from './client.js';
import { googleErrorInfo } from '../../google/apiErrors.js';
import { isAbortError, mapDriveError } from './errors.js';
import { labelOf } from './download.js';
import { DEFAULT_EXPORT_FORMATS, EXPORT_MIME_TYPES, NATIVE_KINDS, type DriveAuth, type DriveFile, type ExportFormats } from './types.js';

/** One export target: the file extension used in the key and the MIME type asked of Drive. */
export interface ExportTarget {
  ext: string;
  mimeType: string;
}

/**
 * The export targets for a native MIME type, or null when the type does not export (Forms,
 * Sites, Apps Script, …) or is not native.
 * Formats are extensions known to EXPORT_MIME_TYPES, or `ext=mime/type`.
 * @throws ArchiveError('validation') for an unknown format name.
 */
export function exportTargets(mimeType: string, formats: ExportFormats = {}): ExportTarget[] | null {
  const kind = NATIVE_KINDS[mimeType];
  if (!kind) return null;
  const list = formats[kind] ?? DEFAULT_EXPORT_FORMATS[kind];
  return list.map((f) => {
    const eq = f.indexOf('=');
    if (eq > 0) return { ext: f.slice(0, eq).trim().toLowerCase(), mimeType: f.slice(eq + 1).trim() };
    const ext = f.trim().toLowerCase().replace(/^\./, '');
    const mime = EXPORT_MIME_TYPES[ext];
    if (!mime)
      throw new ArchiveError(
        'validation',
        `unknown Drive export format "${f}" (known: ${Object.keys(EXPORT_MIME_TYPES).join(', ')}, or ext=mime/type)`,
      );
    return { ext, mimeType: mime };
  });
}

export interface ExportArgs {
  drive: drive_v3.Drive;
  /** for the exportLinks fallback; null: no fallback */
  auth: DriveAuth | null;
  /** needs id, name; exportLinks for the fallback */
  file: DriveFile;
  target: ExportTarget;
  keys: ReadonlyMap<string, string>;
  store: ObjectStore;
  key: string;
  rowId: string;
  signal: AbortSignal;
  /** origins the credentials may be sent to besides *.google.com (the configured rootUrl) */
  trustedOrigins: readonly string[];
  onBytes?: (bytes: number) => void;
}

/** True when an export link may receive the service account's token: Google hosts over https, or a trusted origin. */
export function isTrustedExportLink(link: string, trustedOrigins: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    return false;
  }
  if (trustedOrigins.includes(u.origin)) return true;
  return (
    u.protocol === 'https:' &&
    (u.hostname === 'docs.google.com' || u.hostname.endsWith('.google.com') || u.hostname.endsWith('.googleapis.com'))
  );
}

/**
 * Exports one native file to one format and stores it under `key`.
 * @returns the stored object and which way it came (`export`, or `exportLinks` after the 10 MB limit).
 * @throws ArchiveError mapped by mapDriveError; validation when the export is too large and the
 *   file has no export link for the format.
 */
export async function exportNative(a: ExportArgs): Promise<StoredObject & { via: 'export' | 'exportLinks' }> {
  const label = `${labelOf(a.file)} as ${a.target.ext}`;
  const putOpts = { rowId: a.rowId, contentType: a.target.mimeType, signal: a.signal, ...(a.onBytes ? { onBytes: a.onBytes } : {}) };
  let res;
  try {
    res = await a.drive.files.export(
      { fileId: a.file.id!, mimeType: a.target.mimeType },
      { responseType: 'stream', ...callOptions({ keys: a.keys, signal: a.signal }) },
    );
  } catch (err) {
    if (isAbortError(err)) throw err;
    const info = googleErrorInfo(err);
    if (info.status !== 403 || info.reason !== 'exportSizeLimitExceeded') throw mapDriveError(err, `exporting ${label}`);
    const link = a.file.exportLinks?.[a.target.mimeType];
    if (!link)
      throw new ArchiveError(
        'validation',
        `exporting ${label}: larger than the 10 MB files.export limit, and Drive gives no export link for ${a.target.mimeType}`,
      );
    if (!a.auth) throw new ArchiveError('permission', `exporting ${label}: the export link needs Drive credentials`);
    if (!isTrustedExportLink(link, a.trustedOrigins))
      throw new ArchiveError('validation', `exporting ${label}: refusing to send credentials to ${new URL(link).origin}`);
    let linkRes;
    try {
      const client = a.auth as { request<T>(opts: Record<string, unknown>): Promise<{ data: T; status: number }> };
      linkRes = await client.request<Readable>({
        url: link,
        method: 'GET',
        responseType: 'stream',
        ...callOptions({ keys: a.keys, signal: a.signal }),
      });
    } catch (err2) {
      if (isAbortError(err2)) throw err2;
      throw mapDriveError(err2, `exporting ${label} through its export link`);
    }
    const stored = await a.store.put(a.key, linkRes.data, putOpts);
    return { ...stored, via: 'exportLinks' };
  }
  const stored = await a.store.put(a.key, res.data as Readable, putOpts);
  return { ...stored, via: 'export' };
}
