/** Job ids and idempotency keys. */
import { createHash, randomBytes } from 'node:crypto';
import { formatArchiveOptions, type RowArchiveOptions } from '../../../shared/archiveOptions.js';
import type { SourceName } from '../../../shared/columns.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(value: bigint, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A new job id: `j_` + a ULID (26 Crockford base32 characters: 48 bits of ms time, then 80
 * random bits), so ids sort by creation time, e.g. `j_01JD3X9Q7M4ZK8V2N5T6W1R0YA`.
 * @param now ms since epoch (default Date.now()).
 */
export function newJobId(now: number = Date.now()): string {
  const time = BigInt(Math.max(0, Math.floor(now))) & ((1n << 48n) - 1n);
  const rand = BigInt('0x' + randomBytes(10).toString('hex'));
  return `j_${base32(time, 10)}${base32(rand, 16)}`;
}

/** What makes two dispatches the same work (design §3). */
export interface IdempotencyParts {
  spreadsheetId: string;
  sheetId: number;
  rowId: string;
  source: SourceName;
  links: readonly string[];
  /** the row's `archive_options`: the same links asked for audio only are other work than video */
  archiveOptions?: RowArchiveOptions | undefined;
  /** 'reprocess' is other work than downloading the same row; absent or 'archive' keeps the old key */
  kind?: 'archive' | 'reprocess' | undefined;
}

/**
 * The idempotency key of a (spreadsheet, sheet, row, source, links, row options): hex SHA-256 of a
 * JSON array of those fields, the links de-duplicated and sorted, so link order and repeats do not
 * matter. The options enter in their canonical cell form, and only when there are some, so a row
 * without options keeps the key it had before options existed.
 */
export function idempotencyKey(p: IdempotencyParts): string {
  const links = [...new Set(p.links)].sort();
  const options = p.archiveOptions ? formatArchiveOptions(p.archiveOptions) : '';
  const parts: unknown[] = [p.spreadsheetId, p.sheetId, p.rowId, p.source, links];
  if (options) parts.push(options);
  if (p.kind && p.kind !== 'archive') parts.push({ kind: p.kind });
  const canonical = JSON.stringify(parts);
  return createHash('sha256').update(canonical).digest('hex');
}
