/**
 * Serves the sidebar the add-on shows (HtmlService output of menuOpenSidebar) to a browser, and
 * bridges `google.script.run` to the vm: the shim (`GOOGLE_SCRIPT_RUN_SHIM`, to inject before the
 * page's scripts) posts `{ fn, args }` to `/__run`; the bridge calls the global in the vm and
 * answers its result as JSON. Like Apps Script, it refuses functions that are not top-level or
 * that end in `_`, and an exception becomes the failure handler's Error.
 */
import { createServer, type Server } from 'node:http';
import type { LoadedAddon } from './loadAddon.js';

/** Browser-side google.script.run: withSuccessHandler/withFailureHandler chains, any function name. */
export const GOOGLE_SCRIPT_RUN_SHIM = `
(() => {
  function runner(ok, fail) {
    return new Proxy({}, {
      get(_, name) {
        if (name === 'withSuccessHandler') return (f) => runner(f, fail);
        if (name === 'withFailureHandler') return (f) => runner(ok, f);
        if (name === 'withUserObject') return () => runner(ok, fail);
        return (...args) => {
          fetch('/__run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fn: name, args }) })
            .then((r) => r.json())
            .then((j) => { if (j.ok) ok && ok(j.value); else fail && fail(new Error(j.error)); })
            .catch((e) => fail && fail(e));
        };
      },
    });
  }
  window.google = { script: { run: runner(null, null), host: { close() {} } } };
})();
`;

export interface SidebarBridge {
  url: string;
  /** function names the page called, in order */
  calls: string[];
  close(): Promise<void>;
}

export async function startSidebarBridge(addon: LoadedAddon): Promise<SidebarBridge> {
  const calls: string[] = [];
  const publicNames = new Set(addon.globalFunctions());
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method === 'GET' && (req.url === '/' || req.url === '/sidebar')) {
      addon.call('menuOpenSidebar');
      return send(200, 'text/html; charset=utf-8', addon.ui.sidebars.at(-1)!.content);
    }
    if (req.method === 'POST' && req.url === '/__run') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { fn, args } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { fn: string; args: unknown[] };
        calls.push(fn);
        if (!publicNames.has(fn) || fn.endsWith('_'))
          return send(200, 'application/json', JSON.stringify({ ok: false, error: `Script function not found: ${fn}` }));
        try {
          const value = addon.call(fn, ...args);
          send(200, 'application/json', JSON.stringify({ ok: true, value: value ?? null }));
        } catch (e) {
          send(200, 'application/json', JSON.stringify({ ok: false, error: String((e as Error)?.message ?? e) }));
        }
      });
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/sidebar`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
