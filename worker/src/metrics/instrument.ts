/**
 * Decorators that count what passes through a part without changing its behaviour: the status
 * write-back backend (requests and the updates they carry) and the object store (bytes written).
 */
import type { Counter } from 'prom-client';
import type { SheetBackend } from '../sheets/types.js';
import { tapStore } from '../storage/tap.js';
import type { ObjectStore } from '../storage/types.js';

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
  return tapStore(inner, (o) => {
    if (o.size > 0) bytes.inc({ store: inner.kind }, o.size);
  });
}
