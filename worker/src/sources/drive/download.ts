/**
 * Binary files through the API: `files.get?alt=media` streamed into the store, resumed with
 * `Range` after a dropped connection, checked against Drive's size and md5Checksum
 * (https://developers.google.com/drive/api/guides/manage-downloads).
 */
import type { Readable } from 'node:stream';
import type { drive_v3 } from 'googleapis';
import type { ObjectStore, StoredObject } from '../../storage/types.js';
import { callOptions, rangeOf } from './client.js';
import { mapDriveError } from './errors.js';
import { resumableBody, storeResumable } from './resumable.js';
import type { DriveFile } from './types.js';

export interface MediaDownload {
  drive: drive_v3.Drive;
  /** needs id; size and md5Checksum are verified when present */
  file: DriveFile;
  /** resource keys to send (`id → key`) */
  keys: ReadonlyMap<string, string>;
  acknowledgeAbuse: boolean;
  store: ObjectStore;
  key: string;
  rowId: string;
  signal: AbortSignal;
  maxResumes: number;
  stallTimeoutMs: number;
  /** bytes received so far for this file */
  onBytes?: (bytes: number) => void;
  onResume?: (offset: number, reason: string) => void;
  resumeDelayMs?: (n: number) => number;
}

/** `"name" (id)` for messages. */
export function labelOf(file: DriveFile): string {
  return `"${file.name ?? ''}" (${file.id ?? '?'})`;
}

/**
 * Downloads one binary file into `key`.
 * @returns the stored object with its verified md5 (hex) and the number of resumes.
 * @throws ArchiveError mapped by mapDriveError (not_found, permission, rate_limit, quota, network);
 *   network also for a size or md5 mismatch (nothing is kept); file_io from the store.
 */
export async function downloadMedia(d: MediaDownload): Promise<StoredObject & { md5: string; resumes: number }> {
  const fileId = d.file.id!;
  const label = labelOf(d.file);
  const size = d.file.size !== undefined && d.file.size !== null ? Number(d.file.size) : undefined;
  const body = resumableBody(
    async (offset, signal) => {
      const res = await d.drive.files.get(
        { fileId, alt: 'media', supportsAllDrives: true, ...(d.acknowledgeAbuse ? { acknowledgeAbuse: true } : {}) },
        { responseType: 'stream', ...callOptions({ keys: d.keys, signal, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) }) },
      );
      return { body: res.data as Readable, ...rangeOf(res.status, res.headers) };
    },
    {
      signal: d.signal,
      expectedSize: Number.isFinite(size) ? size : undefined,
      expectedMd5: d.file.md5Checksum ?? undefined,
      maxResumes: d.maxResumes,
      stallTimeoutMs: d.stallTimeoutMs,
      label,
      mapError: (err) => mapDriveError(err, `downloading ${label}`),
      onBytes: d.onBytes,
      onResume: (offset, e) => d.onResume?.(offset, e.message),
      resumeDelayMs: d.resumeDelayMs,
    },
  );
  return storeResumable(d.store, d.key, body, {
    rowId: d.rowId,
    ...(d.file.mimeType ? { contentType: d.file.mimeType } : {}),
    signal: d.signal,
  });
}
