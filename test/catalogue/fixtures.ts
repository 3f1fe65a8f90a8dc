/**
 * metadata.json files as the sources write them (docs/design.md §5), stored for real in a store, for
 * the catalogue's contract and API tests.
 */
import { createHash } from 'node:crypto';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { metadataKey, objectKey } from '../../worker/src/storage/layout.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';

export const TYPE = 'FF-Fi/Se-CP/B(S) #4';

export const VTT =
  'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello <c>there</c>\n\n00:00:01.000 --> 00:00:02.000\nHello there\nsecond line\n';

/** Stores a YouTube-style item (video, subtitles, info JSON) for a row and returns its metadata (not yet written). */
export async function youtubeItem(
  store: ObjectStore,
  o: {
    spreadsheetId?: string;
    rowId: string;
    mediaId: string;
    title?: string;
    uploader?: string;
    name?: string;
    archivedAt?: string;
    extraFiles?: string[];
  },
): Promise<MediaMetadata> {
  const spreadsheetId = o.spreadsheetId ?? 'ss-1';
  const files: MediaMetadata['files'] = [];
  const put = async (name: string, body: string) => {
    const s = await store.put(objectKey('', o.rowId, 'youtube', o.mediaId, name), body, { rowId: o.rowId });
    files.push({ key: s.key, size: s.size, sha256: s.sha256 });
  };
  await put(`${o.mediaId}.mp4`, `video bytes of ${o.mediaId}`);
  await put(`${o.mediaId}.en.vtt`, VTT);
  await put(`${o.mediaId}.info.json`, JSON.stringify({ id: o.mediaId }));
  for (const f of o.extraFiles ?? []) await put(f, `extra ${f}`);
  return {
    schema: 1,
    row: {
      rowId: o.rowId,
      name: o.name ?? `Person ${o.rowId}`,
      email: `${o.rowId}@example.org`,
      type: TYPE,
      spreadsheetId,
      sheetId: 0,
      sheetName: 'People',
    },
    source: 'youtube',
    mediaId: o.mediaId,
    url: `https://www.youtube.com/watch?v=${o.mediaId}`,
    title: o.title ?? `Clip ${o.mediaId}`,
    duration: 12.5,
    uploader: o.uploader ?? 'Uploader',
    extra: {
      chapters: [
        { start_time: 0, end_time: 5, title: 'Intro' },
        { start_time: 5, end_time: 12.5, title: 'Talk' },
      ],
    },
    files,
    archivedAt: o.archivedAt ?? '2026-11-21T09:15:02Z',
    tools: { 'yt-dlp': '2023.03.04', 'sheet-archiver': '0.1.0' },
  };
}

/** The metadata object as the store holds it after writeMetadata (key, size, SHA-256 of the text). */
export function metadataObject(meta: MediaMetadata): { key: string; size: number; sha256: string } {
  const text = JSON.stringify(meta, null, 2) + '\n';
  return {
    key: metadataKey('', meta.row.rowId, meta.source, meta.mediaId),
    size: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}
