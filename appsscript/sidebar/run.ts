/**
 * A typed promise wrapper around google.script.run
 * (https://developers.google.com/apps-script/guides/html/reference/run): each server function of
 * SidebarApi becomes `call('name', ...args) → Promise<result>`. A failure (server exception,
 * lost connection, the add-on reloaded) rejects with an Error whose message is shown as is.
 */
import type { SidebarApi } from '../src/api.js';

interface ScriptRunner {
  withSuccessHandler(handler: (value: unknown) => void): ScriptRunner;
  withFailureHandler(handler: (error: unknown) => void): ScriptRunner;
  [fn: string]: unknown;
}
declare const google: { script: { run: ScriptRunner } };

export type ServerResult<K extends keyof SidebarApi> = ReturnType<SidebarApi[K]>;

export function call<K extends keyof SidebarApi>(name: K, ...args: Parameters<SidebarApi[K]>): Promise<ServerResult<K>> {
  return new Promise((resolve, reject) => {
    const runner = google.script.run
      .withSuccessHandler((v) => resolve(v as ServerResult<K>))
      .withFailureHandler((e) => reject(e instanceof Error ? e : new Error(String((e as { message?: unknown })?.message ?? e))));
    const fn = runner[name] as ((...a: unknown[]) => void) | undefined;
    if (typeof fn !== 'function') {
      reject(new Error(`The add-on has no server function ${name}.`));
      return;
    }
    fn.apply(runner, args);
  });
}
