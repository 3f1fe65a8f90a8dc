/** An ObjectStore that tells someone about every object it writes (metrics, run logs). */
import { WRAPPED_STORE } from './attempt.js';
import type { ObjectStore, PutOptions, StoredObject } from './types.js';

/**
 * Wraps `inner`: after every successful put/putFile, `onStored(object, opts)` is called (it must
 * not throw); everything else is passed through unchanged.
 */
export function tapStore(inner: ObjectStore, onStored: (o: StoredObject, opts: PutOptions) => void): ObjectStore {
  const seen = (o: StoredObject, opts: PutOptions): StoredObject => {
    onStored(o, opts);
    return o;
  };
  const tapped: ObjectStore & { [WRAPPED_STORE]: ObjectStore } = {
    // underlyingStore() sees through it: the catalogue's metadata sink is attached to `inner`
    [WRAPPED_STORE]: inner,
    kind: inner.kind,
    describe: () => inner.describe(),
    put: async (key, body, opts) => seen(await inner.put(key, body, opts), opts),
    putFile: async (key, path, opts) => seen(await inner.putFile(key, path, opts), opts),
    head: (key) => inner.head(key),
    getText: (key) => inner.getText(key),
    remove: (key) => inner.remove(key),
    list: (prefix) => inner.list(prefix),
    checkWritable: () => inner.checkWritable(),
    locate: (key) => inner.locate(key),
  };
  return tapped;
}
