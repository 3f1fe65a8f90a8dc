/**
 * The storage layout (design §5): `<prefix>/<row_id>/<source>/<media_id>/<file>`.
 * Every segment is sanitised: no `..`, no separators, no control characters; non-ASCII is kept
 * as UTF-8 (NFC).
 */
import type { SourceName } from '../../../shared/columns.js';

/** Longest segment, in UTF-8 bytes (S3 keys max 1024 bytes; most file systems 255 per name). */
const MAX_SEGMENT_BYTES = 200;

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Longest prefix of `s` that fits in `maxBytes` of UTF-8, cut between code points. Linear time. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s;
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}

/**
 * Makes one path segment safe: separators become `_`, control/format characters (C0, C1,
 * zero-width, bidi overrides, line/paragraph separators, BOM) are removed, leading/trailing dots and spaces are trimmed, Windows-reserved `<>:"|?*` are kept only where
 * harmless (`:` is kept for `playlist:<id>`), and the result is cut to 200 bytes keeping the extension.
 * Never returns '', '.' or '..'.
 */
export function sanitizeSegment(input: string): string {
  let s = String(input).normalize('NFC');
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, '');
  s = s.replace(/[/\\]/g, '_').replace(/[<>"|?*,]/g, '_'); // `,` separates keys in the *_files cells
  s = s.replace(/^[\s.]+|[\s.]+$/g, '');
  if (!s) return '_';
  if (utf8Length(s) > MAX_SEGMENT_BYTES) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 12 ? s.slice(dot) : '';
    s = truncateUtf8(s.slice(0, s.length - ext.length), MAX_SEGMENT_BYTES - utf8Length(ext)) + ext;
    // the cut may end on a dot or space: trim again so sanitising stays idempotent
    s = s.replace(/^[\s.]+|[\s.]+$/g, '') || '_';
  }
  return s;
}

/** Sanitises every segment of a relative path (a Drive folder path, say) and joins with `/`. */
export function sanitizePath(relPath: string): string {
  return relPath
    .split(/[/\\]+/)
    .filter((p) => p !== '' && p !== '.')
    .map(sanitizeSegment)
    .join('/');
}

/** The folder of one media item: `<prefix>/<row_id>/<source>/<media_id>/` (prefix may be ''). */
export function mediaPrefix(prefix: string, rowId: string, source: SourceName, mediaId: string): string {
  const head = prefix ? sanitizePath(prefix) + '/' : '';
  return `${head}${sanitizeSegment(rowId)}/${source}/${sanitizeSegment(mediaId)}/`;
}

/** The key of one file of one media item. `file` may hold sub-folders (Drive folders). */
export function objectKey(prefix: string, rowId: string, source: SourceName, mediaId: string, file: string): string {
  return mediaPrefix(prefix, rowId, source, mediaId) + sanitizePath(file);
}

/** `…/<media_id>/metadata.json` */
export function metadataKey(prefix: string, rowId: string, source: SourceName, mediaId: string): string {
  return mediaPrefix(prefix, rowId, source, mediaId) + 'metadata.json';
}

/** Splits a key back into its layout parts; null when it does not follow the layout. */
export function parseKey(key: string, prefix = ''): { rowId: string; source: SourceName; mediaId: string; file: string } | null {
  const head = prefix ? sanitizePath(prefix) + '/' : '';
  if (!key.startsWith(head)) return null;
  const parts = key.slice(head.length).split('/');
  if (parts.length < 4) return null;
  const [rowId, source, mediaId, ...rest] = parts;
  if (source !== 'youtube' && source !== 'drive') return null;
  return { rowId: rowId!, source, mediaId: mediaId!, file: rest.join('/') };
}
