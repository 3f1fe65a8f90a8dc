/**
 * The storage layout (docs/design.md §5): `<prefix>/<row_id>/<source>/<media_id>/<file>`.
 * Every segment is sanitised: no `..`, no separators, no control characters; non-ASCII is kept
 * as UTF-8 (NFC). The row_id and media id segments are one-to-one (see idSegment); file names
 * are sanitised (sanitizeSegment), their clashes resolved by the sources.
 */
import { createHash } from 'node:crypto';
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

/** Characters an id segment never holds raw: `%` (the escape), separators, `,` (the *_files cells), Windows-reserved, control/format. */
const ID_UNSAFE = /[%/\\<>"|?*,\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;
/** Leading/trailing characters a segment never starts or ends with raw (dots, white space). */
const ID_EDGE = /[\s.]/u;
/** Marks the hashed tail of an id too long for one segment; `%h` is never a percent-escape (h is not hex). */
const HASH_MARK = '%h';

function percentEncode(ch: string): string {
  // a lone surrogate has no UTF-8 form: `%u` + its code unit keeps it apart from U+FFFD
  if (/^[\ud800-\udfff]$/.test(ch)) return '%u' + ch.charCodeAt(0).toString(16).toUpperCase();
  return [...Buffer.from(ch, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/**
 * The key segment of a row_id or a media id (docs/design.md §5): one-to-one, so two different ids never
 * share a folder. A readable id (NFC, no separator, control or reserved character, no `%`, no
 * leading/trailing dot or space) is its own segment, exactly as sanitizeSegment made it before.
 * Anything else is percent-encoded (RFC 3986 style, UTF-8 bytes, `%` itself as `%25`), which
 * is reversible: `..` → `%2E%2E`, `col/x` → `col%2Fx`, `a\u0000b` → `a%00b`. A non-NFC id has
 * its non-ASCII characters encoded, so `e\u0301` and `é` stay apart. A segment over 200 bytes is
 * cut and ends in `%h` + 16 hex of the exact id's SHA-256 (injective up to a hash collision).
 * Never returns '', '.' or '..'.
 */
export function idSegment(id: string): string {
  const chars = [...String(id)];
  const nfc = id === id.normalize('NFC');
  const out: string[] = [];
  chars.forEach((ch, i) => {
    const edge = (i === 0 || i === chars.length - 1) && ID_EDGE.test(ch);
    const lone = ch.length === 1 && /[\ud800-\udfff]/.test(ch);
    const unsafe = lone || ID_UNSAFE.test(ch) || edge || (!nfc && ch.codePointAt(0)! > 0x7f);
    out.push(unsafe ? percentEncode(ch) : ch);
  });
  let s = out.join('');
  if (s === '' || utf8Length(s) > MAX_SEGMENT_BYTES) {
    const tail = HASH_MARK + createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 16);
    let head = '';
    for (const piece of out) {
      // 2 bytes of room for re-encoding a trailing dot or space below
      if (utf8Length(head + piece) > MAX_SEGMENT_BYTES - tail.length - 2) break;
      head += piece;
    }
    // the cut may leave a trailing dot or space raw: encode it so the segment never ends in one
    head = head.replace(/[\s.]$/u, (c) => percentEncode(c));
    s = head + tail;
  }
  return s;
}

/**
 * Decodes a segment idSegment made back to its id; null for a hashed (cut) segment, whose id is
 * in its metadata.json. A segment written by the old rule (no `%`) decodes to itself.
 */
export function idOfSegment(segment: string): string | null {
  if (segment.includes(HASH_MARK)) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
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
  return `${head}${idSegment(rowId)}/${source}/${idSegment(mediaId)}/`;
}

/** The key of one file of one media item. `file` may hold sub-folders (Drive folders). */
export function objectKey(prefix: string, rowId: string, source: SourceName, mediaId: string, file: string): string {
  return mediaPrefix(prefix, rowId, source, mediaId) + sanitizePath(file);
}

/** `…/<media_id>/metadata.json` */
export function metadataKey(prefix: string, rowId: string, source: SourceName, mediaId: string): string {
  return mediaPrefix(prefix, rowId, source, mediaId) + 'metadata.json';
}

/**
 * Splits a key back into its layout parts; null when it does not follow the layout. `rowId` and
 * `mediaId` are the key's segments as written (by idSegment, or by the old sanitising rule in older
 * archives), not decoded: the exact ids are in the folder's metadata.json.
 */
export function parseKey(key: string, prefix = ''): { rowId: string; source: SourceName; mediaId: string; file: string } | null {
  const head = prefix ? sanitizePath(prefix) + '/' : '';
  if (!key.startsWith(head)) return null;
  const parts = key.slice(head.length).split('/');
  if (parts.length < 4) return null;
  const [rowId, source, mediaId, ...rest] = parts;
  if (source !== 'youtube' && source !== 'drive') return null;
  return { rowId: rowId!, source, mediaId: mediaId!, file: rest.join('/') };
}
