/**
 * Archive verification (issue 10 item 7, as `rclone check` does it): re-reads stored objects and
 * compares each one's size and SHA-256 with its folder's metadata.json (docs/design.md §5) and the
 * catalogue (docs/design.md §8). Reports five kinds of finding:
 *  - `missing`: listed in a metadata.json, absent from storage;
 *  - `corrupt`: present, but its size or SHA-256 differs from metadata.json;
 *  - `orphan`: an object under the archive that no metadata.json lists;
 *  - `uncatalogued`: listed in a metadata.json but not in the catalogue (or with another size/SHA-256);
 *  - `catalogue_only`: a stored catalogue asset that no metadata.json lists.
 * File contents stream through the hash (never buffered), a few at once. The key listing and the
 * list of files to check are held in memory (about 200 bytes a file).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { SourceName } from '../../../shared/columns.js';
import { ArchiveError } from '../errors.js';
import { idSegment, sanitizePath, sanitizeSegment } from '../storage/layout.js';
import { LocalStore } from '../storage/local.js';
import type { MediaMetadata } from '../storage/metadata.js';
import type { ObjectStore } from '../storage/types.js';
import { isCataloguable, versionedFiles } from './assets.js';
import { HashPool } from './hashPool.js';
import type { Catalogue } from './repository.js';

export const FINDING_KINDS = ['missing', 'corrupt', 'orphan', 'uncatalogued', 'catalogue_only'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** One problem verify found. Sizes in bytes, digests lower-case hex. */
export interface Finding {
  kind: FindingKind;
  /** the object key the finding is about */
  key: string;
  /** the metadata.json that lists it (none for orphans and catalogue_only) */
  metadataKey?: string;
  rowId?: string;
  spreadsheetId?: string;
  source?: SourceName;
  mediaId?: string;
  expected?: { size: number; sha256: string };
  actual?: { size: number; sha256?: string };
  /** one line a person reads */
  detail: string;
}

export interface VerifyOptions {
  /** docs/design.md §5 `<prefix>`; '' when none */
  prefix?: string;
  /** only these row_ids (exact ids, as metadata.json records them) */
  rowIds?: string[];
  /** fraction 0 < s ≤ 1 of the listed files whose contents are read (default 1: all); missing files are always found */
  sample?: number;
  /** files hashed at once (default 4); above 1, local files are hashed in worker threads (hashPool.ts) */
  concurrency?: number;
  /** the catalogue to compare with; null skips the catalogue checks */
  catalogue?: Catalogue | null;
  /** random source for --sample, 0 ≤ x < 1 (tests and reproducible runs) */
  random?: () => number;
  /** background slices: only metadata.json keys after this one (in sorted order) */
  after?: string;
  /** background slices: stop after the folder in which this many bytes have been read */
  maxBytes?: number;
  /** called with every chunk's length as contents are read */
  onBytes?: (bytes: number) => void;
  /** called once the files to read are known: their count and total bytes */
  onPlan?: (plan: { files: number; bytes: number }) => void;
  /** called as each file is checked */
  onFile?: (key: string, finding: Finding | null) => void;
  signal?: AbortSignal;
}

export interface VerifyReport {
  /** metadata.json files read */
  metadataFiles: number;
  /** files metadata.json lists (in scope) */
  listedFiles: number;
  /** files whose contents were read and hashed */
  checkedFiles: number;
  /** bytes read and hashed */
  checkedBytes: number;
  /** bytes of the files metadata.json lists (in scope) */
  listedBytes: number;
  findings: Finding[];
  /** the last metadata.json key covered (slices); null when the walk reached the end */
  nextCursor: string | null;
  ms: number;
}

/**
 * Opens an object for reading as a stream: a file of the local store, or S3 GetObject's body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * @throws ArchiveError('file_io'|'network') when it cannot be opened
 */
export async function openObject(store: ObjectStore, key: string): Promise<Readable> {
  if (store instanceof LocalStore) return createReadStream(store.pathOf(key), { highWaterMark: 1024 * 1024 });
  if (store.kind === 's3') {
    const { S3Store, classifyS3Error } = await import('../storage/s3.js');
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    if (store instanceof S3Store) {
      const Key = store.objectKeyOf(key);
      try {
        const r = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key }));
        return r.Body as Readable;
      } catch (err) {
        throw classifyS3Error(err, `reading s3://${store.bucket}/${Key}`);
      }
    }
  }
  throw new ArchiveError('file_io', `cannot read objects from ${store.describe()}`);
}

/** Size and SHA-256 of one object, streamed. @throws ArchiveError when it cannot be read */
export async function hashObject(
  store: ObjectStore,
  key: string,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  const body = await openObject(store, key);
  const sha = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      sha.update(chunk);
      size += chunk.length;
      onBytes?.(chunk.length);
    }
  } finally {
    body.destroy();
  }
  return { size, sha256: sha.digest('hex') };
}

/** Objects the stores themselves write that are never part of the archive. */
function isHousekeeping(key: string): boolean {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return key.startsWith('.incoming/') || base.startsWith('.write-probe');
}

const isMetadataKey = (key: string) => key === 'metadata.json' || key.endsWith('/metadata.json');

interface Check {
  key: string;
  size: number;
  sha256: string;
  metadataKey: string;
  meta: MediaMetadata;
}

function where(meta: MediaMetadata): Pick<Finding, 'rowId' | 'spreadsheetId' | 'source' | 'mediaId'> {
  return { rowId: meta.row.rowId, spreadsheetId: meta.row.spreadsheetId, source: meta.source, mediaId: meta.mediaId };
}

/** Stored catalogue assets of one metadata.json: object key → size and SHA-256. */
async function catalogued(catalogue: Catalogue, metadataKey: string): Promise<Map<string, { size: number; sha256: string }>> {
  const rows = await catalogue.db
    .selectFrom('assets')
    .select(['object_key', 'size', 'sha256'])
    .where('metadata_key', '=', metadataKey)
    .where('status', '=', 'stored')
    .execute();
  return new Map(rows.map((r) => [r.object_key, { size: Number(r.size), sha256: r.sha256 }]));
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** Picks exactly round(fraction × n) of `items` (at least 1 when fraction > 0 and there are any), at random. */
function sampleOf<T>(items: T[], fraction: number, random: () => number): T[] {
  if (fraction >= 1) return items;
  const k = Math.min(items.length, Math.max(items.length ? 1 : 0, Math.round(items.length * fraction)));
  const a = items.slice();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/**
 * Verifies the archive in `store` (or the folders of `rowIds`, or a slice after `after`).
 * @throws ArchiveError('validation') for a sample outside (0, 1]; ArchiveError('file_io'|'network')
 *   when storage cannot be listed (a file that cannot be read is a finding, not an error)
 */
export async function verifyArchive(store: ObjectStore, o: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const sample = o.sample ?? 1;
  if (!(sample > 0 && sample <= 1)) throw new ArchiveError('validation', `sample: ${sample} is not a fraction in (0, 1]`);
  const head = o.prefix ? sanitizePath(o.prefix) + '/' : '';
  const rowIds = o.rowIds?.length ? new Set(o.rowIds) : null;
  // a row's folder by the current rule, and by the old sanitising rule (older archives), read as written
  const roots = rowIds ? [...new Set([...rowIds].flatMap((r) => [`${head}${idSegment(r)}/`, `${head}${sanitizeSegment(r)}/`]))] : [head];
  const ownRoots = rowIds ? [...rowIds].map((r) => `${head}${idSegment(r)}/`) : [head];

  const keys = new Set<string>();
  for (const root of roots) for await (const key of store.list(root)) if (!isHousekeeping(key.slice(head.length))) keys.add(key);
  const allMetaKeys = [...keys].filter(isMetadataKey).sort();
  const metaKeys = o.after !== undefined ? allMetaKeys.filter((k) => k > o.after!) : allMetaKeys;
  const sliced = o.after !== undefined || o.maxBytes !== undefined;

  const findings: Finding[] = [];
  const claimed = new Set<string>();
  const checks: Check[] = [];
  let metadataFiles = 0;
  let listedBytes = 0;
  let nextCursor: string | null = null;
  let sliceBytes = 0;
  let listedFiles = 0;
  let lastMeta: string | null = null;

  for (const metadataKey of metaKeys) {
    if (o.maxBytes !== undefined && sliceBytes >= o.maxBytes) {
      nextCursor = lastMeta;
      break;
    }
    lastMeta = metadataKey;
    const text = await store.getText(metadataKey);
    if (text === null) continue; // deleted since the listing
    let meta: unknown;
    try {
      meta = JSON.parse(text);
    } catch {
      meta = null;
    }
    if (!isCataloguable(meta)) {
      claimed.add(metadataKey);
      findings.push({
        kind: 'corrupt',
        key: metadataKey,
        metadataKey,
        actual: { size: Buffer.byteLength(text) },
        detail: 'metadata.json is not a readable sheet-archiver metadata.json',
      });
      continue;
    }
    if (rowIds && !rowIds.has(meta.row.rowId)) continue;
    metadataFiles++;
    claimed.add(metadataKey);
    const inCatalogue = o.catalogue ? await catalogued(o.catalogue, metadataKey) : null;
    const metaSelf = { size: Buffer.byteLength(text), sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
    const compareCatalogue = (key: string, want: { size: number; sha256: string }) => {
      if (!inCatalogue) return;
      const got = inCatalogue.get(key);
      if (!got)
        findings.push({
          kind: 'uncatalogued',
          key,
          metadataKey,
          ...where(meta as MediaMetadata),
          expected: want,
          detail: 'in metadata.json, not in the catalogue',
        });
      else if (got.size !== want.size || got.sha256 !== want.sha256) {
        findings.push({
          kind: 'uncatalogued',
          key,
          metadataKey,
          ...where(meta as MediaMetadata),
          expected: want,
          actual: got,
          detail: 'the catalogue has another size or SHA-256 than metadata.json',
        });
      }
    };
    compareCatalogue(metadataKey, metaSelf);
    // every version's files count as listed: Drive keeps earlier versions beside the current one (docs/design.md §5)
    for (const f of versionedFiles(meta as MediaMetadata).map((v) => v.file)) {
      if (!f || typeof f.key !== 'string' || f.key === metadataKey) continue;
      claimed.add(f.key);
      listedFiles++;
      listedBytes += f.size;
      compareCatalogue(f.key, { size: f.size, sha256: f.sha256 });
      if (!keys.has(f.key)) {
        findings.push({
          kind: 'missing',
          key: f.key,
          metadataKey,
          ...where(meta),
          expected: { size: f.size, sha256: f.sha256 },
          detail: 'listed in metadata.json, not in storage',
        });
        o.onFile?.(f.key, findings[findings.length - 1]!);
        continue;
      }
      checks.push({ key: f.key, size: f.size, sha256: f.sha256, metadataKey, meta });
      sliceBytes += f.size;
    }
  }

  const toRead = sampleOf(checks, sample, o.random ?? Math.random);
  o.onPlan?.({ files: toRead.length, bytes: toRead.reduce((a, c) => a + c.size, 0) });
  let checkedBytes = 0;
  const concurrency = o.concurrency ?? 4;
  const threads =
    store instanceof LocalStore && concurrency > 1 && toRead.length > 1
      ? new HashPool(Math.min(concurrency, Math.max(2, availableParallelism())))
      : null;
  const counted = (n: number) => {
    checkedBytes += n;
    o.onBytes?.(n);
  };
  await pool(toRead, concurrency, async (c) => {
    let finding: Finding | null = null;
    try {
      if (o.signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      const got = threads
        ? await threads.hashFile((store as LocalStore).pathOf(c.key), counted)
        : await hashObject(store, c.key, counted, o.signal);
      if (got.size !== c.size || got.sha256 !== c.sha256) {
        const what = got.size !== c.size ? `size ${got.size} B, metadata.json says ${c.size} B` : 'SHA-256 differs from metadata.json';
        finding = {
          kind: 'corrupt',
          key: c.key,
          metadataKey: c.metadataKey,
          ...where(c.meta),
          expected: { size: c.size, sha256: c.sha256 },
          actual: got,
          detail: what,
        };
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      finding = {
        kind: 'missing',
        key: c.key,
        metadataKey: c.metadataKey,
        ...where(c.meta),
        expected: { size: c.size, sha256: c.sha256 },
        detail: `cannot be read: ${(err as Error).message}`,
      };
    }
    if (finding) findings.push(finding);
    o.onFile?.(c.key, finding);
  }).finally(() => threads?.close());

  // Orphans and catalogue-only assets need every metadata.json: the last slice of a pass reads the
  // earlier slices' ones again (small files; contents are not re-read) and reports them.
  if (!sliced || nextCursor === null) {
    if (o.after !== undefined) {
      for (const key of allMetaKeys) {
        if (key > o.after) break;
        claimed.add(key);
        const text = await store.getText(key);
        let meta: unknown = null;
        try {
          meta = text === null ? null : JSON.parse(text);
        } catch {
          /* reported as corrupt by the slice that read it */
        }
        if (isCataloguable(meta))
          for (const { file: f } of versionedFiles(meta as MediaMetadata)) if (f && typeof f.key === 'string') claimed.add(f.key);
      }
    }
    for (const key of keys) {
      if (claimed.has(key) || !ownRoots.some((r) => key.startsWith(r))) continue;
      findings.push({ kind: 'orphan', key, detail: 'in storage, listed by no metadata.json' });
    }
    if (o.catalogue) {
      let q = o.catalogue.db
        .selectFrom('assets')
        .select(['object_key', 'metadata_key', 'row_id', 'spreadsheet_id', 'source', 'media_id', 'size', 'sha256'])
        .where('status', '=', 'stored');
      if (rowIds) q = q.where('row_id', 'in', [...rowIds]);
      if (head) q = q.where('object_key', 'like', `${head.replace(/[\\%_]/g, '\\$&')}%`);
      for (const a of await q.execute()) {
        if (claimed.has(a.object_key)) continue;
        findings.push({
          kind: 'catalogue_only',
          key: a.object_key,
          metadataKey: a.metadata_key,
          rowId: a.row_id,
          spreadsheetId: a.spreadsheet_id,
          source: a.source,
          mediaId: a.media_id,
          expected: { size: Number(a.size), sha256: a.sha256 },
          detail: keys.has(a.object_key)
            ? 'in the catalogue, listed by no metadata.json'
            : 'in the catalogue, its file and metadata.json entry are gone',
        });
      }
    }
  }

  const order = (f: Finding) => FINDING_KINDS.indexOf(f.kind);
  findings.sort((a, b) => order(a) - order(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    metadataFiles,
    listedFiles,
    checkedFiles: toRead.length,
    checkedBytes,
    listedBytes,
    findings,
    nextCursor: sliced ? nextCursor : null,
    ms: Date.now() - started,
  };
}
