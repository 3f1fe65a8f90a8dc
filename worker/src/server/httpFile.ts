/**
 * HTTP semantics of serving one stored file: the Range header (RFC 9110 §14.1.2, §14.2), the
 * Content-Type of a file name, and Content-Disposition (RFC 6266, with RFC 8187 `filename*`).
 * Pure functions; routes/content.ts applies them.
 */

/** A satisfiable byte range, inclusive offsets. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a Range header asks of a file of `size` bytes:
 *  - `full`: no header, a header this parser ignores (malformed, not `bytes`), or several ranges
 *    (answered with the whole file, 200, which RFC 9110 §14.2 allows: a server MAY ignore Range);
 *  - `range`: one satisfiable range (`a-b`, `a-`, or suffix `-n`), `end` clamped to size − 1;
 *  - `unsatisfiable`: one range that starts at or after the end, a zero suffix, or any range of an
 *    empty file (416 with `Content-Range: bytes *\/size`).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { kind: 'full' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' } {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (specs.length !== 1) return { kind: 'full' };
  const r = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
  if (r[1] === '') {
    const n = Number(r[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? Infinity : Number(r[2]);
  if (end < start) return { kind: 'full' }; // invalid range-spec: the header is ignored (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end: Math.min(end, size - 1) } };
}

const TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mov: 'video/quicktime',
  avi: 'video/x-msvideo',
  m4a: 'audio/mp4',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  aac: 'audio/aac',
  vtt: 'text/vtt; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  ass: 'text/plain; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  xml: 'application/xml',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  epub: 'application/epub+zip',
  rtf: 'application/rtf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
};

/** The Content-Type of a file name by its extension (IANA media types); `application/octet-stream` when unknown. */
export function contentTypeOf(fileName: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || 'application/octet-stream';
}

/** Types a browser may show in place: media, raster images, PDF and plain text. HTML, SVG and the rest download. */
export function isInlineSafe(contentType: string): boolean {
  const t = contentType.split(';')[0]!.trim();
  return (
    /^(video|audio)\//.test(t) ||
    (/^image\//.test(t) && t !== 'image/svg+xml') ||
    t === 'application/pdf' ||
    t === 'text/plain' ||
    t === 'text/vtt'
  );
}

/**
 * A Content-Disposition value (RFC 6266 §4.1): `<type>; filename="<ASCII fallback>"`, plus
 * `filename*=UTF-8''<percent-encoded>` (RFC 8187) when the name is not plain printable ASCII.
 * The fallback replaces every non-ASCII character, `"` and `\` with `_`.
 */
export function contentDisposition(fileName: string, type: 'inline' | 'attachment' = 'attachment'): string {
  const base = fileName.split('/').pop() || 'file';
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === base) return `${type}; filename="${ascii}"`;
  // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded
  const ext = encodeURIComponent(base).replace(/['()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
  return `${type}; filename="${ascii}"; filename*=UTF-8''${ext}`;
}
