/**
 * Reports every Drive v3 API call made through a googleapis client, by method and outcome
 * (metrics). A Proxy over the client's resources (`files`, `about`, …) wraps their methods; the
 * calls themselves are unchanged.
 */
import type { drive_v3 } from 'googleapis';
import { isAbortError, mapDriveError } from './errors.js';

/** `ok`, `aborted`, or the design §4 category mapDriveError gives the failure. */
export function callOutcome(err: unknown): string {
  if (err === undefined) return 'ok';
  return isAbortError(err) ? 'aborted' : mapDriveError(err, '').category;
}

/**
 * The client with each `<resource>.<method>(…)` call reported to `onCall` when its promise
 * settles (for `responseType: 'stream'` calls: when the response headers arrive).
 */
export function instrumentDrive(drive: drive_v3.Drive, onCall: (method: string, outcome: string) => void): drive_v3.Drive {
  const resources = new Map<PropertyKey, unknown>();
  return new Proxy(drive, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'object' || value === null || prop === 'context') return value;
      if (!resources.has(prop)) resources.set(prop, wrapResource(value, prop, onCall));
      return resources.get(prop);
    },
  });
}

function wrapResource(resource: object, name: string, onCall: (method: string, outcome: string) => void): object {
  return new Proxy(resource, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (out instanceof Promise) {
          out.then(
            () => onCall(`${name}.${prop}`, 'ok'),
            (err: unknown) => onCall(`${name}.${prop}`, callOutcome(err)),
          );
        }
        return out;
      };
    },
  });
}
