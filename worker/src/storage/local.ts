/**
 * The local-folder store, the embedded default (`ARCHIVER_DATA/archive`). Writes go to a temp file
 * beside the target and are renamed into place, so a crash never leaves a half-written object
 * under its final key.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { ArchiveError, toArchiveError } from '../errors.js';
import { HashingStream } from './hashing.js';
import { sweepDeadProcessDirs } from '../fs/processDirs.js';
import type { ObjectStore, PutOptions, StoredObject } from './types.js';

/** Folder under the root for in-flight writes; never listed. */
const INCOMING = '.incoming';

export class LocalStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  describe(): string {
    return pathToFileURL(this.root).href;
  }

  /**
   * Absolute path of a key.
   * @throws ArchiveError('validation') when the key would escape the root.
   */
  pathOf(key: string): string {
    const p = resolve(this.root, ...key.split('/'));
    if (p !== this.root && !p.startsWith(this.root + sep))
      throw new ArchiveError('validation', `object key escapes the archive root: ${key}`);
    return p;
  }

  /** The key of an absolute or relative path inside the root; null when outside. */
  keyOf(path: string): string | null {
    const rel = relative(this.root, resolve(path));
    if (!rel || rel.startsWith('..') || resolve(this.root, rel) !== resolve(path)) return null;
    return rel.split(sep).join('/');
  }

  async put(key: string, body: Readable | Buffer | string, opts: PutOptions): Promise<StoredObject> {
    const target = this.pathOf(key);
    // Temp files live in one folder on the same file system, so rename is atomic and a crash
    // leaves nothing half-written under a real key; `sweepIncoming` clears them on start.
    const tmp = join(this.root, INCOMING, String(process.pid), `${randomBytes(8).toString('hex')}.tmp`);
    const hasher = new HashingStream({ md5: opts.md5, onBytes: opts.onBytes });
    let out: WriteStream | null = null;
    try {
      await mkdir(dirname(target), { recursive: true });
      await mkdir(join(this.root, INCOMING, String(process.pid)), { recursive: true });
      const src = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
      out = createWriteStream(tmp);
      await pipeline(src, hasher, out, { signal: opts.signal });
      await rename(tmp, target);
    } catch (err) {
      // A source that fails at once can fail before the write stream has opened its file: wait for
      // the stream to close, or the open would create the temp file after the rm below.
      if (out && !out.closed) await once(out, 'close').catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined); // cleanup must not mask the real error (ENOTDIR…)
      if ((err as Error).name === 'AbortError') throw err;
      const e = toArchiveError(err, 'file_io');
      // a stream error from the source (network) keeps its category; anything else is storage
      throw e.category === 'system' ? new ArchiveError('file_io', `writing ${key}: ${e.message}`, { cause: err }) : e;
    }
    return { key, size: hasher.bytes, ...hasher.digests() };
  }

  async putFile(key: string, path: string, opts: PutOptions): Promise<StoredObject> {
    return this.put(key, createReadStream(path), opts);
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : null;
    } catch {
      return null;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await rm(this.pathOf(key), { force: true });
    } catch (err) {
      throw toArchiveError(err, 'file_io');
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch {
      return null;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    // S3 semantics: `prefix` is a string prefix, not necessarily a whole folder ('151/you' matches
    // '151/youtube/…'), so walk from the last complete folder and filter.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    let start: string;
    try {
      start = this.pathOf(folder || '.');
    } catch {
      return;
    }
    const walk = async function* (dir: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== INCOMING) yield* walk(p);
        } else if (e.isFile()) yield p;
      }
    };
    for await (const p of walk(start)) {
      const key = this.keyOf(p);
      if (key && key.startsWith(prefix)) yield key;
    }
  }

  async checkWritable(): Promise<void> {
    const probe = join(this.root, `.write-probe-${process.pid}`);
    try {
      await mkdir(this.root, { recursive: true });
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
    } catch (err) {
      throw new ArchiveError('file_io', `archive folder ${this.root} is not writable: ${(err as Error).message}`, { cause: err });
    }
  }

  async locate(key: string): Promise<string> {
    return this.pathOf(key);
  }

  /**
   * Removes temp files left by processes that died mid-write (each process writes under
   * `.incoming/<pid>/`, so a live process sharing the folder keeps its own). Call once at start.
   */
  async sweepIncoming(): Promise<number> {
    return sweepDeadProcessDirs(join(this.root, INCOMING));
  }

  /** Free bytes on the archive's file system. */
  async freeBytes(): Promise<number> {
    await mkdir(this.root, { recursive: true });
    const s = await statfs(this.root);
    return s.bavail * s.bsize;
  }
}
