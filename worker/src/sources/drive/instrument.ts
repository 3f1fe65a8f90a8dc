/**
 * Reports every Drive v3 API call made through a googleapis client, by method and outcome
 * (metrics). Each resource of the client (`files`, `about`, …) is wrapped in a Proxy that reports
 * its method calls; the calls themselves are unchanged.
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
  // googleapis makes the resources read-only, non-configurable properties, which a Proxy must
  // return unchanged: shadow them on an object that inherits everything else from the client.
  const out = Object.create(drive) as drive_v3.Drive;
  for (const name of Object.getOwnPropertyNames(drive)) {
    const value: unknown = (drive as unknown as Record<string, unknown>)[name];
    if (name === 'context' || typeof value !== 'object' || value === null) continue;
    Object.defineProperty(out, name, { value: wrapResource(value, name, onCall), enumerable: true });
  }
  return out;
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
