/**
 * Progress accounting for one link while its entries are fetched: bytes when every size is
 * known ahead, else files; reported at most every 250 ms, and always when the last file is done.
 */
import type { JobProgress } from '../../../../shared/schemas.js';
import type { PlannedEntry } from './plan.js';

/** Throttled progress for one link: bytes when every size is known, else files. */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly perEntry = new Map<number, number>();
  private doneBytes = 0;
  filesDone = 0;

  constructor(
    private readonly emit: (p: JobProgress) => void,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    private readonly bytesKnown: boolean,
  ) {}

  /** Entry `i` has `n` bytes so far (a resumed download may report a smaller count again). */
  bytes(i: number, n: number): void {
    this.doneBytes += n - (this.perEntry.get(i) ?? 0);
    this.perEntry.set(i, n);
    this.tick(false);
  }

  /** One more entry is done: fetched, kept, or failed. */
  fileDone(): void {
    this.filesDone++;
    this.tick(this.filesDone === this.totalFiles);
  }

  private tick(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const fraction =
      this.bytesKnown && this.totalBytes > 0
        ? this.doneBytes / this.totalBytes
        : this.totalFiles > 0
          ? this.filesDone / this.totalFiles
          : 1;
    const secs = (now - this.started) / 1000;
    this.emit({
      fraction: Math.max(0, Math.min(1, fraction)),
      bytes: this.doneBytes,
      ...(this.bytesKnown ? { totalBytes: this.totalBytes } : {}),
      ...(secs > 0 ? { speed: Math.round(this.doneBytes / secs) } : {}),
      message: `${this.filesDone}/${this.totalFiles} files`,
    });
  }
}

/**
 * The Progress of a plan: counted in bytes when everything to fetch is a binary file of known
 * size (exports have no size ahead), in files otherwise.
 */
export function progressFor(planned: readonly PlannedEntry[], emit: (p: JobProgress) => void): Progress {
  const toFetch = planned.filter((p) => !p.reuse && !p.preError);
  const bytesKnown = toFetch.every((p) => !p.outputs.some((o) => o.target) && p.entry.file.size != null);
  const totalBytes = toFetch.reduce((s, p) => s + (Number(p.entry.file.size ?? 0) || 0), 0);
  return new Progress(emit, totalBytes, planned.length, bytesKnown);
}
