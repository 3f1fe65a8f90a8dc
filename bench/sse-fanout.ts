/**
 * SSE fan-out benchmark (issue 11, "Benchmarks"; docs/design.md §9): 500 clients connected to
 * the signed `GET /v1/events` stream receive a burst of 1,000 events. Reports the delivery delay
 * (receive time − the event's `at`, the time it was appended to the durable log: same machine,
 * same clock) at p50/p99/max over all 500,000 deliveries, and the server's RSS idle, with the 500
 * clients connected, and at its peak during the burst (VmRSS sampled every 20 ms, VmHWM).
 *
 *   npx tsx bench/sse-fanout.ts [--clients 500] [--events 1000]
 *
 * The server (bench/support/sseServer.ts: the worker's createApp with the real event log in a
 * SQLite file, synchronous=FULL as in `serve`) runs in a child process; the clients are raw
 * node:http connections in this process, parsing with the worker's own SseParser. The client
 * side shares this 2-core machine, so the delays include the clients' own parsing: an upper bound.
 * The publish loop appends 1,000 events one by one, each a committed synchronous=FULL write (an
 * fsync), and holds the server's event loop meanwhile: the early events' delays include it.
 * `fanOutMs` is the time from the loop's end to the last delivery.
 * PASS when every client receives every event once, in order, and none is dropped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SseParser } from '../worker/src/events/sseClient.js';
import { signRequest } from '../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../shared/signature.js';
import { arg } from './support/children.js';

const CLIENTS = Number(arg('--clients') ?? 500);
const EVENTS = Number(arg('--events') ?? 1000);
const SECRET = 'bench-sse-secret-0123456789abcdef';
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const dir = mkdtempSync(join(tmpdir(), 'sa-bench-sse-'));
const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/support/sseServer.ts'), SECRET, join(dir, 'queue.db')], {
  cwd: ROOT,
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, NODE_NO_WARNINGS: '1' },
});
const lines = createInterface({ input: child.stdout! });
const waiters: ((v: Record<string, number>) => void)[] = [];
lines.on('line', (l) => l.startsWith('{') && waiters.shift()?.(JSON.parse(l)));
const nextLine = () => new Promise<Record<string, number>>((r) => waiters.push(r));
const { port, pid } = (await nextLine()) as { port: number; pid: number };

const status = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const mib = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await sleep(500);
const rssIdle = status('VmRSS');

interface Client {
  req: ClientRequest;
  open: boolean;
  ids: number[];
  closed: boolean;
}
const delays: number[] = [];
let lastReceived = 0;
const clients: Client[] = [];
const path = '/v1/events';
for (let i = 0; i < CLIENTS; i++) {
  const c: Client = { req: null as unknown as ClientRequest, open: false, ids: [], closed: false };
  const parser = new SseParser(
    (m) => {
      const now = Date.now();
      lastReceived = now;
      const e = JSON.parse(m.data) as { id: number; at: string };
      c.ids.push(e.id);
      delays.push(now - Date.parse(e.at));
    },
    () => (c.open = true),
  );
  c.req = request(
    { host: '127.0.0.1', port, path, agent: false, headers: { [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', path) } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => parser.push(d));
      res.on('close', () => (c.closed = true));
      res.on('error', () => {});
    },
  );
  c.req.on('error', () => (c.closed = true));
  c.req.end();
  clients.push(c);
}
const until = async (what: string, fn: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
};
await until('all clients connected', () => clients.every((c) => c.open), 60_000);
await sleep(500);
const rssConnected = status('VmRSS');

let peak = rssConnected;
const sampler = setInterval(() => (peak = Math.max(peak, status('VmRSS'))), 20);
const t0 = performance.now();
child.stdin!.write(`burst ${EVENTS}\n`);
const burst = await nextLine();
let timedOut = false;
try {
  await until('every event delivered', () => clients.every((c) => c.ids.length >= EVENTS || c.closed), 300_000);
} catch {
  timedOut = true;
}
const allMs = performance.now() - t0;
clearInterval(sampler);
peak = Math.max(peak, status('VmRSS'));
const hwm = status('VmHWM');
child.stdin!.write('subs\n');
const subs = (await nextLine())['subscribers']!;

const complete = clients.filter((c) => c.ids.length === EVENTS && c.ids.every((id, i) => i === 0 || id === c.ids[i - 1]! + 1)).length;
const dropped = clients.filter((c) => c.closed).length;
delays.sort((a, b) => a - b);
const q = (p: number) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
for (const c of clients) c.req.destroy();
child.stdin!.end();
rmSync(dir, { recursive: true, force: true });

console.log(
  `sse fan-out: ${CLIENTS} clients × ${EVENTS} events = ${delays.length} deliveries in ${Math.round(allMs)} ms (publish loop ${burst['ms']} ms)`,
);
const fanOutMs = lastReceived - burst['doneAt']!;
console.log(`  after the publish loop ended, the last of the ${delays.length} deliveries arrived in ${fanOutMs} ms`);
console.log(`  delivery delay  p50 ${q(0.5)} ms   p99 ${q(0.99)} ms   max ${delays.at(-1)} ms`);
console.log(
  `  server RSS      idle ${mib(rssIdle)} MiB   ${CLIENTS} connected ${mib(rssConnected)} MiB   peak in burst ${mib(peak)} MiB (VmHWM ${mib(hwm)})`,
);
console.log(`  clients complete and in order ${complete}/${CLIENTS}, dropped ${dropped}, live subscribers ${subs}`);
const pass = !timedOut && complete === CLIENTS && dropped === 0;
console.log(pass ? 'PASS' : 'FAIL');
console.log(
  `BENCH_RESULT ${JSON.stringify({
    bench: 'sse-fanout',
    clients: CLIENTS,
    events: EVENTS,
    deliveries: delays.length,
    totalMs: Math.round(allMs),
    publishMs: burst['ms'],
    fanOutMs,
    p50DelayMs: q(0.5),
    p99DelayMs: q(0.99),
    maxDelayMs: delays.at(-1),
    rssIdleMiB: mib(rssIdle),
    rssConnectedMiB: mib(rssConnected),
    peakRssMiB: mib(Math.max(peak, hwm)),
    dropped,
    pass,
  })}`,
);
process.exit(pass ? 0 : 1);
