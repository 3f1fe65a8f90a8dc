/**
 * Rotation of the run logs: files older than the age limit go, then the oldest until the folder
 * fits the size limit. Run at start-up and after every run (runs/runLogs.ts).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface RotateLimits {
  /** days; a file last written longer ago is removed (0: no age limit) */
  maxAgeDays: number;
  /** bytes all run logs together may take (0: no size limit) */
  maxBytes: number;
  /** ms since epoch (default Date.now()) */
  now?: number;
  /** files never removed (runs still writing), by name */
  keep?: ReadonlySet<string>;
}

/**
 * Removes what the limits say, oldest (by mtime) first. A missing folder is nothing to do.
 * @returns the names removed.
 */
export async function rotateRunLogs(dir: string, limits: RotateLimits): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const files = (
    await Promise.all(
      names.map(async (name) => {
        const s = await stat(join(dir, name)).catch(() => null);
        return s?.isFile() ? { name, mtimeMs: s.mtimeMs, size: s.size } : null;
      }),
    )
  )
    .filter((f) => f !== null)
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  const now = limits.now ?? Date.now();
  const oldest = limits.maxAgeDays > 0 ? now - limits.maxAgeDays * 86_400_000 : -Infinity;
  let total = files.reduce((n, f) => n + f.size, 0);
  const removed: string[] = [];
  for (const f of files) {
    if (limits.keep?.has(f.name)) continue;
    const tooOld = f.mtimeMs < oldest;
    const tooBig = limits.maxBytes > 0 && total > limits.maxBytes;
    if (!tooOld && !tooBig) continue;
    await rm(join(dir, f.name), { force: true });
    total -= f.size;
    removed.push(f.name);
  }
  return removed;
}
