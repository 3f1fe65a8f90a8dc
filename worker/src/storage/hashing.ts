/**
 * A pass-through stream that hashes (SHA-256, optionally MD5) and counts bytes as data flows,
 * so stores never buffer a whole file.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashingStream extends Transform {
  private readonly sha = createHash('sha256');
  private readonly md5h: Hash | null;
  bytes = 0;

  constructor(opts: { md5?: boolean; onBytes?: (bytes: number) => void } = {}) {
    super();
    this.md5h = opts.md5 ? createHash('md5') : null;
    this.onBytes = opts.onBytes;
  }

  private readonly onBytes: ((bytes: number) => void) | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sha.update(chunk);
    this.md5h?.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  /** Hex digests; call once, after the stream ended. */
  digests(): { sha256: string; md5?: string } {
    const sha256 = this.sha.digest('hex');
    return this.md5h ? { sha256, md5: this.md5h.digest('hex') } : { sha256 };
  }
}
