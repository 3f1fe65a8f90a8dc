/**
 * SHA-256 of local files in worker threads (verify, issue 10 item 7): hashing is CPU-bound and
 * node:crypto's update runs on the calling thread, so on the main thread verify reads at about half
 * the disk's speed (bench/verify.ts). Each worker reads its file 1 MiB at a time into one reused
 * buffer (memory flat) and posts its bytes read as it goes.
 */
import { Worker } from 'node:worker_threads';

// Plain CommonJS, evaluated in the worker: no loader or build step needed in tests, tsx or the bundle.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
// one reused 1 MiB buffer and blocking reads: this thread does nothing else, and no chunk is allocated
const buf = Buffer.allocUnsafe(1 << 20);
parentPort.on('message', ({ id, path }) => {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const h = createHash('sha256');
    let size = 0;
    let unreported = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
      unreported += n;
      if (unreported >= 8 << 20) {
        parentPort.postMessage({ id, bytes: unreported });
        unreported = 0;
      }
    }
    if (unreported) parentPort.postMessage({ id, bytes: unreported });
    parentPort.postMessage({ id, size, sha256: h.digest('hex') });
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
});
`;

interface Pending {
  resolve: (v: { size: number; sha256: string }) => void;
  reject: (e: Error) => void;
  onBytes: ((n: number) => void) | undefined;
}

interface Msg {
  id: number;
  bytes?: number;
  size?: number;
  sha256?: string;
  error?: string;
}

/** A fixed set of hashing threads; `hashFile` picks the least busy. Call `close()` when done. */
export class HashPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending & { slot: { busy: number } }>();
  private nextId = 1;

  /** @param size threads (≥ 1) */
  constructor(size: number) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(WORKER, { eval: true });
      worker.unref();
      const slot = { worker, busy: 0 };
      worker.on('message', (m: Msg) => this.onMessage(m));
      worker.on('error', (err) => {
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(err);
        }
      });
      this.workers.push(slot);
    }
  }

  private onMessage(m: Msg): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.bytes !== undefined) return p.onBytes?.(m.bytes);
    this.pending.delete(m.id);
    p.slot.busy--;
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve({ size: m.size!, sha256: m.sha256! });
  }

  /**
   * Size in bytes and SHA-256 (hex) of a local file.
   * @throws Error with the file system's message when it cannot be read
   */
  hashFile(path: string, onBytes?: (n: number) => void): Promise<{ size: number; sha256: string }> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onBytes, slot });
      slot.worker.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
