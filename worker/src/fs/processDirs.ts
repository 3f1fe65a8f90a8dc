/**
 * Per-process scratch folders: `<parent>/<pid>/`. Several worker processes (a `serve` and a
 * `run`, or two `serve`s) may share one data folder, so a process clears only folders whose
 * process is gone, never another live process's files.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** True when a process with this pid exists (signal 0 checks without signalling; EPERM means it exists). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's folder under `parent`, created if missing. */
export async function ownDir(parent: string): Promise<string> {
  const dir = join(parent, String(process.pid));
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Removes the folders of dead processes (and stray files) under `parent`.
 * @returns how many entries were removed.
 */
export async function sweepDeadProcessDirs(parent: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(parent, { withFileTypes: true });
  } catch {
    return 0;
  }
  let n = 0;
  for (const e of entries) {
    const pid = /^\d+$/.test(e.name) ? Number(e.name) : NaN;
    if (e.isDirectory() && pid !== process.pid && !Number.isNaN(pid) && isAlive(pid)) continue;
    if (pid === process.pid) continue;
    await rm(join(parent, e.name), { recursive: true, force: true });
    n++;
  }
  return n;
}
