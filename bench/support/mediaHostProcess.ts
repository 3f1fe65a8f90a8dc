/**
 * The local media host (test/support/mediaHost.ts) as a program, for benchmarks that must not
 * share a CPU-bound event loop with the host: run it as a child process, read its first stdout
 * line, and close its stdin (or send SIGTERM) to stop it.
 *
 *   node --import tsx bench/support/mediaHostProcess.ts '<MediaHostOptions as JSON>'
 *
 * Prints one JSON line once listening:
 *   {"baseUrl":"http://127.0.0.1:PORT","host":"127.0.0.1:PORT","clips":["clip01",…],"mediaDir":"…","clipBytes":{"clip01":N,…}}
 * then serves until stdin ends or SIGTERM/SIGINT. A `stats` line on stdin makes it print the
 * requests served since the last `stats` (`{"requests":N,"bytes":N,"byPath":{…}}`) and clear its
 * request log; on exit it prints that line once more.
 * Not a benchmark itself: bench/run-all.ts skips bench/support/.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startMediaHost, type MediaHostOptions } from '../../test/support/mediaHost.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as MediaHostOptions;
const host = await startMediaHost(opts);
const clipBytes = Object.fromEntries(host.clips.map((c) => [c, statSync(join(host.mediaDir, `${c}.mp4`)).size]));
process.stdout.write(
  JSON.stringify({ baseUrl: host.baseUrl, host: host.host, clips: host.clips, mediaDir: host.mediaDir, clipBytes }) + '\n',
);

/** Prints the requests served since the last call, and forgets them. */
function stats(): void {
  const byPath: Record<string, number> = {};
  for (const r of host.requests) byPath[r.path] = (byPath[r.path] ?? 0) + 1;
  const bytes = host.requests.reduce((n, r) => n + r.bytes, 0);
  process.stdout.write(JSON.stringify({ requests: host.requests.length, bytes, byPath }) + '\n');
  host.requests.length = 0;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  stats();
  await host.close();
  process.exit(0);
}
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'stats') stats();
});
process.stdin.on('end', () => void stop());
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
