/**
 * Counts every Apps Script service call the add-on makes, by `Service.method`
 * (e.g. `Range.getValues`, `UrlFetchApp.fetchAll`), so tests can check that the number of calls
 * does not grow with the number of rows.
 */
export class CallCounter {
  private readonly byName = new Map<string, number>();
  /** called before each counted call runs (tests use it to act "between" two service calls) */
  listener: ((name: string) => void) | null = null;

  add(name: string, n = 1): void {
    this.byName.set(name, (this.byName.get(name) ?? 0) + n);
    this.listener?.(name);
  }
  get(name: string): number {
    return this.byName.get(name) ?? 0;
  }
  /** Sum over names starting with `prefix` (e.g. `Range.`), or all calls. */
  total(prefix = ''): number {
    let n = 0;
    for (const [k, v] of this.byName) if (k.startsWith(prefix)) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.byName.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
  reset(): void {
    this.byName.clear();
  }
}

/**
 * Wraps a service object so that each method call is counted as `<name>.<method>`. Properties
 * that are not functions (enums such as `ScriptApp.AuthMode`) pass through uncounted.
 */
export function counted<T extends object>(target: T, name: string, counter: CallCounter): T {
  const proxy: T = new Proxy(target, {
    get(obj, prop) {
      const v = Reflect.get(obj, prop, obj);
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      return function (...args: unknown[]) {
        counter.add(`${name}.${prop}`);
        const out = (v as (...a: unknown[]) => unknown).apply(obj, args);
        return out === obj ? proxy : out; // chained builders keep counting
      };
    },
  });
  return proxy;
}
