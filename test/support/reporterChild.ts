/**
 * A worker's write-back in a child process, to be killed (test/sheets/sharedReporters.test.ts).
 * argv[2] is a JSON SharedWorkerOptions plus `first` and `then`, lists of [spreadsheetId, row,
 * status]: it pushes `first`, starts its reporter, waits `thenAfterMs`, pushes `then`, prints
 * `pushed`, and runs until killed.
 *
 *   node --import tsx test/support/reporterChild.ts '{"redisUrl":…}'
 */
import { jobUpdate, sharedWorker, type SharedWorkerOptions } from './sharedReporters.js';

type Push = [string, number, 'downloading' | 'completed'];
const o = JSON.parse(process.argv[2]!) as SharedWorkerOptions & { first: Push[]; then: Push[]; thenAfterMs: number };
const w = sharedWorker(o);
for (const [s, i, st] of o.first) await w.reporter.push(jobUpdate(s, i, st));
w.reporter.start();
await new Promise((r) => setTimeout(r, o.thenAfterMs));
for (const [s, i, st] of o.then) await w.reporter.push(jobUpdate(s, i, st));
process.stdout.write('pushed\n');
// the reporter's timer does not hold the process: this does, until the parent kills it
setInterval(() => undefined, 60_000);
