/**
 * File handling for the CSV backend: every read-modify-write runs under a proper-lockfile lock
 * (`<file>.lock`, a directory made atomically by mkdir) and re-reads the file inside it, so
 * writers in several processes lose nothing; new content goes to a temp file in the same folder,
 * fsync'ed, then renamed over the original (atomic on POSIX). A one-time backup copy is made
 * before the first schema change.
 */
import { constants as fsConstants, existsSync } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import lockfile from 'proper-lockfile';
import { ArchiveError, toArchiveError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { parseDoc, type CsvDoc } from './csvDocument.js';

export interface CsvLockOptions {
  /** a lock older than this (not refreshed by a live holder) is taken over; ms, default 10 000 */
  staleMs?: number;
  /** how long to keep trying for the lock before giving up with file_io; ms, default 60 000 */
  waitMs?: number;
  logger?: Logger;
}

/**
 * Runs `fn` holding the file's lock (`<path>.lock`, proper-lockfile).
 * @throws ArchiveError('file_io') when the lock cannot be taken within `waitMs`, or the file is missing.
 */
export async function withLock<T>(path: string, opts: CsvLockOptions, fn: () => Promise<T>): Promise<T> {
  const log = opts.logger ?? silentLogger;
  const staleMs = opts.staleMs ?? 10_000;
  const waitMs = opts.waitMs ?? 60_000;
  // Retry schedule that adds up to about waitMs (randomised, 10 ms … 250 ms between tries, mostly ~200 ms).
  const retries = Math.max(1, Math.ceil(waitMs / 200));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 2)),
      retries: { retries, factor: 1.2, minTimeout: 10, maxTimeout: 250, randomize: true },
      onCompromised: (err) => log.error({ err, path }, 'CSV lock compromised (held too long or removed)'),
    });
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === 'ELOCKED')
      throw new ArchiveError('file_io', `${path} is locked by another process (waited ${waitMs} ms)`, { cause: err });
    throw toArchiveError(err, 'file_io');
  }
  try {
    return await fn();
  } finally {
    await release().catch((err: unknown) => log.warn({ err, path }, 'CSV lock release failed'));
  }
}

export async function load(path: string): Promise<CsvDoc> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw toArchiveError(err, 'file_io');
  }
  return parseDoc(buf, path);
}

/** temp file in the same folder (same filesystem), fsync, keep the mode, rename over. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const mode = (await stat(path)).mode & 0o7777;
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw toArchiveError(err, 'file_io');
  }
}

/** `<file>.bak`, or `<file>.<stamp>.bak` when an older backup exists (never overwritten). */
export async function backup(path: string): Promise<string> {
  let target = `${path}.bak`;
  if (existsSync(target)) target = `${path}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
  try {
    await copyFile(path, target, fsConstants.COPYFILE_EXCL);
  } catch (err) {
    throw toArchiveError(err, 'file_io');
  }
  return target;
}
