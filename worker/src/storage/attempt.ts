/**
 * The store as one job attempt sees it: every write goes through to the real store, and the
 * attempt remembers which objects it created (keys that did not exist before its first write).
 * When the attempt fails, `discard` deletes those objects except the ones that are listed (the
 * items it reports as archived, and every file earlier attempts recorded), so a failed attempt
 * leaves no object that no row lists. Objects that existed before the attempt are never deleted:
 * they belong to an earlier attempt or job (an overwrite puts the same media back).
 *
 * Multipart uploads are aborted by the store itself when a put fails (S3Store.upload); what a
 * crashed process leaves open is for the bucket's lifecycle rule (docs/storage.md).
 */
import type { Readable } from 'node:stream';
import type { ObjectStore, PutOptions, StoredObject } from './types.js';

/** What `discard` did: keys removed, and keys it could not remove with the reason. */
export interface DiscardResult {
  removed: string[];
  failed: { key: string; message: string }[];
}

/** Set on a store that wraps another (AttemptStore, storage/tap.ts): the store it wraps. */
export const WRAPPED_STORE = Symbol('wrapped store');

/**
 * The real store under any wrappers (AttemptStore, tapStore: metrics, run logs), for what depends
 * on the store's identity or kind (the catalogue's metadata sink, presigned links).
 */
export function underlyingStore(store: ObjectStore): ObjectStore {
  let s = store;
  for (let inner = wrappedBy(s); inner; inner = wrappedBy(s)) s = inner;
  return s;
}

function wrappedBy(store: ObjectStore): ObjectStore | undefined {
  return (store as { [WRAPPED_STORE]?: ObjectStore })[WRAPPED_STORE];
}

export class AttemptStore implements ObjectStore {
  readonly kind: ObjectStore['kind'];
  /** keys this attempt wrote to at least once */
  private readonly touched = new Set<string>();
  /** keys this attempt created: absent before its first write */
  private readonly created = new Set<string>();

  get [WRAPPED_STORE](): ObjectStore {
    return this.inner;
  }

  constructor(readonly inner: ObjectStore) {
    this.kind = inner.kind;
  }

  /** Keys created by this attempt so far, in order of first write. */
  get createdKeys(): string[] {
    return [...this.created];
  }

  /**
   * Records `key` before its first write. A key whose existence cannot be checked counts as
   * existing: never delete what might not be ours.
   */
  private async claim(key: string): Promise<void> {
    if (this.touched.has(key)) return;
    this.touched.add(key);
    let existed = true;
    try {
      existed = (await this.inner.head(key)) !== null;
    } catch {
      existed = true;
    }
    if (!existed) this.created.add(key);
  }

  async put(key: string, body: Readable | Buffer | string, opts: PutOptions): Promise<StoredObject> {
    await this.claim(key);
    return this.inner.put(key, body, opts);
  }

  async putFile(key: string, path: string, opts: PutOptions): Promise<StoredObject> {
    await this.claim(key);
    return this.inner.putFile(key, path, opts);
  }

  /**
   * Deletes every object this attempt created that is not in `keep`, metadata.json files last
   * (should a delete fail, the files left stay traceable to their row). Never throws.
   * @param keep keys that are listed: the attempt's archived items and the job's recorded files.
   */
  async discard(keep: Iterable<string>): Promise<DiscardResult> {
    const kept = new Set(keep);
    const doomed = [...this.created].filter((k) => !kept.has(k));
    doomed.sort((a, b) => Number(a.endsWith('/metadata.json')) - Number(b.endsWith('/metadata.json')));
    const out: DiscardResult = { removed: [], failed: [] };
    for (const key of doomed) {
      try {
        await this.inner.remove(key);
        this.created.delete(key);
        out.removed.push(key);
      } catch (err) {
        out.failed.push({ key, message: (err as Error).message });
      }
    }
    return out;
  }

  describe(): string {
    return this.inner.describe();
  }
  head(key: string): Promise<{ size: number } | null> {
    return this.inner.head(key);
  }
  getText(key: string): Promise<string | null> {
    return this.inner.getText(key);
  }
  remove(key: string): Promise<void> {
    return this.inner.remove(key);
  }
  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }
  checkWritable(): Promise<void> {
    return this.inner.checkWritable();
  }
  locate(key: string): Promise<string> {
    return this.inner.locate(key);
  }
}
