/**
 * Decorators that count what passes through a part without changing its behaviour: the status
 * write-back backend (requests and the updates they carry) and the object store (bytes written).
 */
import type { Counter } from 'prom-client';
import type { SheetBackend } from '../sheets/types.js';
import type { ObjectStore, StoredObject } from '../storage/types.js';

/**
 * Wraps a SheetBackend: every apply() is one request (outcome ok or error); its updates count as
 * written or refused, or all as failed when the request threw (the reporter retries them).
 */
export function countingBackend(
  inner: SheetBackend,
  requests: Counter<'backend' | 'outcome'>,
  updates: Counter<'backend' | 'outcome'>,
): SheetBackend {
  const backend = inner.kind;
  return {
    kind: inner.kind,
    ensureColumns: (target) => inner.ensureColumns(target),
    async apply(batch) {
      try {
        const outcomes = await inner.apply(batch);
        requests.inc({ backend, outcome: 'ok' });
        const written = outcomes.filter((o) => o.ok).length;
        if (written) updates.inc({ backend, outcome: 'written' }, written);
        if (outcomes.length - written) updates.inc({ backend, outcome: 'refused' }, outcomes.length - written);
        return outcomes;
      } catch (err) {
        requests.inc({ backend, outcome: 'error' });
        if (batch.length) updates.inc({ backend, outcome: 'failed' }, batch.length);
        throw err;
      }
    },
  };
}

/** Wraps an ObjectStore: the size of every object put is added to `bytes` (label `store`: local or s3). */
export function countingStore(inner: ObjectStore, bytes: Counter<'store'>): ObjectStore {
  const count = (o: StoredObject): StoredObject => {
    if (o.size > 0) bytes.inc({ store: inner.kind }, o.size);
    return o;
  };
  return {
    kind: inner.kind,
    describe: () => inner.describe(),
    put: async (key, body, opts) => count(await inner.put(key, body, opts)),
    putFile: async (key, path, opts) => count(await inner.putFile(key, path, opts)),
    head: (key) => inner.head(key),
    getText: (key) => inner.getText(key),
    remove: (key) => inner.remove(key),
    list: (prefix) => inner.list(prefix),
    checkWritable: () => inner.checkWritable(),
    locate: (key) => inner.locate(key),
  };
}
