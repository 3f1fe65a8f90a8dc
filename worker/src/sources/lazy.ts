/**
 * A Source whose implementation is loaded on first use, so a heavy client (googleapis for Drive)
 * costs nothing to processes that never archive from that source.
 */
import type { Source } from './types.js';

/** Wraps `load`, called once on the first `archive()`; a failed load is retried next time. */
export function lazySource(name: Source['name'], load: () => Promise<Source>): Source {
  let loading: Promise<Source> | null = null;
  return {
    name,
    async archive(link, ctx) {
      loading ??= load().catch((err: unknown) => {
        loading = null;
        throw err;
      });
      return (await loading).archive(link, ctx);
    },
  };
}
