/**
 * A process-wide memory budget for S3 uploads. Where an upload's memory goes (measured with
 * bench/memory-s3.ts --concurrent 8): lib-storage's Upload keeps `queueSize` parts in flight, each
 * a Buffer of partSize bytes, and fills the next part by collecting the stream's chunks and
 * copying them into one new Buffer (Buffer.concat in its chunker, once per part): the chunks, the
 * copy, and the previous copy not yet collected by V8 make about three more parts. So one upload
 * holds about (queueSize + 3) × partSize — 56 MiB at 8 MiB × 4, 40 MiB at 8 MiB × 2 — and N
 * concurrent uploads N times that, unbounded. The SDK itself sends each part from that Buffer
 * (no copy), and the file stream's 1 MiB chunks are part of the count above.
 *
 * An upload reserves its share here before it starts; when the budget is short it runs with fewer
 * parts in flight, and when not even one part fits it waits until memory is released. So all the
 * uploads of a process together stay within the budget, whatever their number.
 */

/** What one upload was granted: its parallelism, and the release to call once it settled. */
export interface UploadGrant {
  queueSize: number;
  release: () => void;
}

export class UploadBudget {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  /** @param bytes the budget, bytes (> 0) */
  constructor(readonly bytes: number) {
    if (!(bytes > 0)) throw new RangeError(`upload memory budget must be > 0 bytes, got ${bytes}`);
  }

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used;
  }

  /** Bytes an upload with these settings holds (see above): parts in flight, plus three for the part being filled. */
  static cost(partSize: number, queueSize: number, chunkBytes: number): number {
    return (queueSize + 3) * partSize + chunkBytes;
  }

  /**
   * Reserves memory for one upload: `want` parts in flight if they fit, fewer if not (at least
   * one), waiting while not even one fits. A single-part body (`size` ≤ partSize) reserves its size.
   * @param size body bytes when known.
   * @throws the signal's reason (an AbortError) when `signal` fires while waiting.
   */
  async acquire(partSize: number, want: number, chunkBytes: number, size?: number, signal?: AbortSignal): Promise<UploadGrant> {
    for (;;) {
      if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      const free = this.bytes - this.used;
      let queueSize = 0;
      let cost = 0;
      if (size !== undefined && size <= partSize) {
        cost = Math.min(this.bytes, size + chunkBytes);
        if (cost <= free) queueSize = want;
      } else {
        for (let q = want; q >= 1; q--) {
          // an upload bigger than the whole budget still runs, alone
          const c = Math.min(this.bytes, UploadBudget.cost(partSize, q, chunkBytes));
          if (c <= free) {
            queueSize = q;
            cost = c;
            break;
          }
        }
      }
      if (queueSize > 0) {
        this.used += cost;
        let released = false;
        return {
          queueSize,
          release: () => {
            if (released) return;
            released = true;
            this.used -= cost;
            this.waiting.splice(0).forEach((wake) => wake());
          },
        };
      }
      await new Promise<void>((r) => {
        this.waiting.push(r);
        signal?.addEventListener('abort', () => r(), { once: true });
      });
    }
  }
}

/**
 * The budget every S3Store in this process shares unless given its own: 192 MiB, room for four
 * uploads at the default 8 MiB × 2 (41 MiB each) at once; more wait their turn. RSS runs up to a
 * third above what is reserved (part Buffers already dropped wait for V8's next collection, and
 * malloc keeps some of what it got back), so 8 concurrent 1 GiB uploads peak near 330 MiB.
 */
export const DEFAULT_UPLOAD_BUDGET = new UploadBudget(192 * 1024 * 1024);
