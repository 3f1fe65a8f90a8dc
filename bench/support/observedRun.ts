/**
 * One `sheet-archiver run` of a CSV for bench/events-overhead.ts, with events, metrics and run
 * logs on (`on`) or off (`off`), through the run command's internal option (RunOptions.internal;
 * no user-facing switch exists). Bundled by the bench like the worker is, so no loader is timed.
 *
 *   node observedRun.mjs <sheet.csv> <archive dir> <allowed host:port> <concurrency> on|off
 *
 * ARCHIVER_DATA comes from the environment. Prints one JSON line: the run's summary, and
 * `workerCpuS`, the CPU seconds (user + sys) of this process alone — where events, metrics and
 * run logs do their work (yt-dlp's children are not in it).
 */
import { runCommand } from '../../worker/src/cli/commands/run.js';
import { ArchiverMetrics } from '../../worker/src/metrics/registry.js';

const [sheet, out, host, concurrency, mode] = process.argv.slice(2);
if (!sheet || !out || !host || !concurrency || (mode !== 'on' && mode !== 'off')) {
  process.stderr.write('usage: observedRun <sheet.csv> <out> <host:port> <concurrency> on|off\n');
  process.exit(2);
}
const summary = await runCommand(sheet, {
  out,
  allowHost: [host],
  sources: ['youtube'],
  concurrency: Number(concurrency),
  json: true,
  internal: mode === 'on' ? { metrics: new ArchiverMetrics() } : { observe: false },
});
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ ...summary, workerCpuS: (cpu.user + cpu.system) / 1e6 }) + '\n');
