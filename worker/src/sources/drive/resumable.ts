/**
 * One logical download made of successive HTTP responses: when a connection drops mid-body the
 * download continues with `Range: bytes=<received>-` into the same output stream, so the store
 * sees a single uninterrupted body (a local temp file, or one S3 multipart upload).
 *
 * The output is a PassThrough fed with backpressure, never holding more than a few chunks. The
 * size and md5 are checked before the stream ends: on a mismatch the stream is destroyed with
 * the error instead of ended, so the store discards what it wrote and nothing is kept.
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { backoffMs } from '../../../../shared/backoff.js';
import { ArchiveError } from '../../errors.js';
import type { ObjectStore, PutOptions, StoredObject } from '../../storage/types.js';
import { isAbortError } from './errors.js';

/** One opened response. */
export interface OpenedBody {
  body: Readable;
  /** offset of the body's first byte in the file (0 for a 200, the Content-Range start for a 206) */
  start: number;
  /** the file's full size when the response says it (Content-Range total, or Content-Length of a 200) */
  total?: number;
}

/**
 * Opens the file at `offset` (sending `Range: bytes=<offset>-` when offset > 0).
 * @param signal aborts this one request (the job's signal or a stall).
 */
export type RangeOpener = (offset: number, signal: AbortSignal) => Promise<OpenedBody>;

export interface ResumableOptions {
  /** the job's signal: aborts everything */
  signal: AbortSignal;
  /** bytes the file must have (Drive's `size`), when known */
  expectedSize?: number;
  /** md5 (hex) the bytes must have (Drive's `md5Checksum`), when known */
  expectedMd5?: string;
  /** resumes allowed after dropped connections */
  maxResumes: number;
  /** abort and resume an attempt that received nothing for this long, ms */
  stallTimeoutMs: number;
  /** names the file in messages, e.g. `"clip.mp4" (1AbC…)` */
  label: string;
  /** maps a failed open/read to an ArchiveError; only `network` ones are resumed */
  mapError: (err: unknown) => ArchiveError;
  /** bytes received so far */
  onBytes?: (bytes: number) => void;
  onResume?: (offset: number, err: ArchiveError) => void;
  /** an already-opened response for offset 0 (the public flow reads its headers first) */
  first?: { opened: OpenedBody; abort: () => void };
  /** delay before resume n (1-based), ms; default 250 × 2^(n−1), at most 5 s */
  resumeDelayMs?: (n: number) => number;
}

export interface ResumableResult {
  bytes: number;
  /** md5 (hex) of every byte delivered */
  md5: string;
  resumes: number;
}

export interface ResumableBody {
  stream: Readable;
  /** settles when the feeding ends; rejects with the reason the stream was destroyed */
  done: Promise<ResumableResult>;
}

/** The store stopped reading (it failed or was aborted): its own error is the one to report. */
class ConsumerGone extends Error {
  constructor() {
    super('the store stopped reading');
  }
}

function waitDrain(out: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (ok: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      ok ? resolve() : reject(new ConsumerGone());
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r;
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Starts feeding a download into a stream that survives dropped connections.
 * The first request is made at once (unless `first` is given). Read `stream` (e.g. hand it to
 * ObjectStore.put) and await `done`, or use storeResumable which does both.
 * Errors: ArchiveError('network') when resumes run out, the size is wrong, or the md5 differs
 * (message names both digests); other categories from `mapError` unchanged; the job's abort reason.
 */
export function resumableBody(open: RangeOpener, opts: ResumableOptions): ResumableBody {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  // the store's pipeline reports errors; this keeps a late destroy from becoming an uncaught 'error'
  out.on('error', () => {});
  const md5 = createHash('md5');
  let offset = 0;
  let total = opts.expectedSize;
  let resumes = 0;
  const delay = opts.resumeDelayMs ?? ((n: number) => backoffMs(n, { curve: 'exponential', baseMs: 250, maxMs: 5_000 }));

  const run = async (): Promise<ResumableResult> => {
    let first = opts.first;
    for (;;) {
      if (opts.signal.aborted) throw abortReason(opts.signal);
      const attempt = new AbortController();
      const signal = AbortSignal.any([opts.signal, attempt.signal]);
      let stalled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (timer) timer.refresh();
        else {
          timer = setTimeout(() => {
            stalled = true;
            attempt.abort();
            first?.abort();
          }, opts.stallTimeoutMs);
        }
      };
      let body: Readable | undefined;
      try {
        arm();
        const opened = first ? first.opened : await open(offset, signal);
        first = undefined;
        body = opened.body;
        if (opened.total !== undefined) {
          if (total !== undefined && opened.total !== total) {
            throw new ArchiveError('network', `${opts.label}: the server reports ${opened.total} bytes, expected ${total}`);
          }
          total = opened.total;
        }
        let skip = offset - opened.start;
        if (skip < 0)
          throw new ArchiveError('network', `${opts.label}: asked to resume at byte ${offset}, the server sent from byte ${opened.start}`);
        for await (const raw of body) {
          arm();
          let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          if (total !== undefined && offset + chunk.length > total) {
            throw new ArchiveError('network', `${opts.label}: received more than the ${total} bytes announced`);
          }
          md5.update(chunk);
          offset += chunk.length;
          opts.onBytes?.(offset);
          if (out.destroyed) throw new ConsumerGone();
          if (!out.write(chunk)) await waitDrain(out);
        }
        clearTimeout(timer);
        if (total === undefined || offset === total) break;
        throw new ArchiveError('network', `${opts.label}: the connection closed after ${offset} of ${total} bytes`);
      } catch (err) {
        clearTimeout(timer);
        body?.destroy();
        attempt.abort();
        if (err instanceof ConsumerGone) throw err;
        if (opts.signal.aborted) throw abortReason(opts.signal);
        let e: ArchiveError;
        if (stalled)
          e = new ArchiveError('network', `${opts.label}: no data for ${opts.stallTimeoutMs} ms after byte ${offset}`, { cause: err });
        else if (isAbortError(err)) throw err;
        else e = opts.mapError(err);
        if (e.category !== 'network' || resumes >= opts.maxResumes) {
          if (e.category === 'network' && resumes > 0) {
            throw new ArchiveError('network', `${e.message} (after ${resumes} resumes)`, { cause: err, retryAfterMs: e.retryAfterMs });
          }
          throw e;
        }
        resumes++;
        opts.onResume?.(offset, e);
        await sleep(delay(resumes), opts.signal);
      }
    }
    const digest = md5.digest('hex');
    if (opts.expectedSize !== undefined && offset !== opts.expectedSize) {
      throw new ArchiveError('network', `${opts.label}: received ${offset} bytes, Drive says ${opts.expectedSize}; nothing was kept`);
    }
    if (opts.expectedMd5 && digest !== opts.expectedMd5.toLowerCase()) {
      throw new ArchiveError(
        'network',
        `${opts.label}: md5 mismatch (Drive says ${opts.expectedMd5}, received ${digest}); nothing was kept`,
      );
    }
    out.end();
    return { bytes: offset, md5: digest, resumes };
  };

  const done = run().catch((err: unknown) => {
    if (!(err instanceof ConsumerGone)) out.destroy(err as Error);
    throw err;
  });
  return { stream: out, done };
}

/**
 * Streams a resumable download into the store and returns what was stored, with the md5 of the
 * bytes (verified against Drive's when `expectedMd5` was given).
 * @throws the download's error when it failed (network, md5 mismatch, …), else the store's
 *   (file_io), else the abort reason.
 */
export async function storeResumable(
  store: ObjectStore,
  key: string,
  body: ResumableBody,
  putOpts: PutOptions,
): Promise<StoredObject & { md5: string; resumes: number }> {
  const [put, fed] = await Promise.allSettled([store.put(key, body.stream, putOpts), body.done]);
  if (fed.status === 'rejected' && !(fed.reason instanceof ConsumerGone)) throw fed.reason;
  if (put.status === 'rejected') throw put.reason;
  if (fed.status === 'rejected') throw fed.reason;
  return { ...put.value, md5: fed.value.md5, resumes: fed.value.resumes };
}
