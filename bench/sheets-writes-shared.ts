/**
 * Sheets write budget with three workers on one Redis (issue 9, docs/design.md §6): 600 jobs on 6
 * spreadsheets finish over one "minute" across three Reporters sharing a RedisStatusOutbox and a
 * RedisWriteBudget, into the Sheets stand-in through the real googleapis client.
 *
 * - budgeted (this project): ARCHIVER_SHEETS_WRITES_PER_MINUTE (default 50) for all three;
 * - baseline, in the same run on its own keys and spreadsheets: the same three reporters with no
 *   budget (each sends one values:batchUpdate per spreadsheet per window, as much as it likes).
 *
 * Time is scaled so the run is short: with --scale 0.1 a "minute" is 6 s and the report window
 * 200 ms; writes/min below are per scaled minute. Ideal: the busiest minute holds exactly the
 * budget (never more) and every update lands. Target: busiest minute ≤ budget, all landed.
 *
 *   npx tsx bench/sheets-writes-shared.ts [--jobs 600] [--sheets 6] [--budget 50] [--scale 0.1]
 */
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis.js';
import { SheetsStandIn } from '../test/support/sheetsStandIn.js';
import { addSheets, jobUpdate, maxInWindow, rowsWithStatus, sharedWorker } from '../test/support/sharedReporters.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '600' },
    sheets: { type: 'string', default: '6' },
    budget: { type: 'string', default: '50' },
    scale: { type: 'string', default: '0.1' },
  },
});
const JOBS = Number(args.jobs);
const SHEETS = Number(args.sheets);
const BUDGET = Number(args.budget);
const MINUTE_MS = Math.round(60_000 * Number(args.scale));
const WINDOW_MS = Math.round(2000 * Number(args.scale));
const PER_SHEET = Math.ceil(JOBS / SHEETS);

interface RunResult {
  writes: number;
  busiestMinute: number;
  writesPerMinute: number;
  updatesPerWrite: number;
  landed: number;
  budgetWaits: number;
  seconds: number;
}

async function runOnce(redisUrl: string, budget: number | null, tag: string): Promise<RunResult> {
  const stand = await SheetsStandIn.start();
  const sheets = addSheets(stand, SHEETS, PER_SHEET);
  const workers = [0, 1, 2].map(() =>
    sharedWorker({
      redisUrl,
      sheetsUrl: stand.url,
      prefix: `bench-${tag}:`,
      windowMs: WINDOW_MS,
      lockMs: 60_000,
      ...(budget ? { budget: { limit: budget, windowMs: MINUTE_MS } } : {}),
    }),
  );
  for (const w of workers) w.reporter.start();
  const start = Date.now();
  // jobs finish at random times over one minute, dealt round-robin to the workers
  const jobs = sheets.flatMap((s) => Array.from({ length: PER_SHEET }, (_, k) => [s, k + 1] as const)).slice(0, JOBS);
  await Promise.all(
    jobs.map(
      ([s, i], n) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            const w = workers[n % 3]!;
            void w.reporter
              .push(jobUpdate(s, i, 'downloading'))
              .then(() => w.reporter.push(jobUpdate(s, i, 'completed')))
              .then(resolve);
          }, Math.random() * MINUTE_MS),
        ),
    ),
  );
  const deadline = Date.now() + 10 * MINUTE_MS;
  const landed = () => sheets.reduce((n, s) => n + rowsWithStatus(stand, s, 'completed'), 0);
  while ((landed() < jobs.length || (await workers[0]!.outbox.size()) > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const seconds = (Date.now() - start) / 1000;
  const writes = stand.requests.filter((r) => r.op === 'values.batchUpdate' && r.status === 200);
  const budgetWaits = workers.reduce((n, w) => n + w.reporter.stats.budgetWaits, 0);
  const result: RunResult = {
    writes: writes.length,
    busiestMinute: maxInWindow(
      writes.map((r) => r.at),
      MINUTE_MS,
    ),
    writesPerMinute: +(writes.length / ((Date.now() - start) / MINUTE_MS)).toFixed(1),
    updatesPerWrite: +(jobs.length / Math.max(1, writes.length)).toFixed(1),
    landed: landed(),
    budgetWaits,
    seconds,
  };
  await Promise.all(workers.map((w) => w.close()));
  await stand.close();
  return result;
}

const redis = await startRedis();
try {
  const budgeted = await runOnce(redis.url, BUDGET, 'budgeted');
  const baseline = await runOnce(redis.url, null, 'baseline');
  const pad = (s: string | number, n = 12) => String(s).padStart(n);
  console.log('');
  console.log(`3 workers, one Redis; ${JOBS} jobs on ${SHEETS} spreadsheets over one minute (1 min = ${MINUTE_MS} ms here)`);
  console.log(`${''.padEnd(36)}${pad('budgeted')}${pad('no budget')}`);
  console.log(`${'updates landed'.padEnd(36)}${pad(budgeted.landed)}${pad(baseline.landed)}`);
  console.log(`${'values:batchUpdate requests'.padEnd(36)}${pad(budgeted.writes)}${pad(baseline.writes)}`);
  console.log(`${'busiest minute (writes)'.padEnd(36)}${pad(budgeted.busiestMinute)}${pad(baseline.busiestMinute)}`);
  console.log(`${'writes / min over the run'.padEnd(36)}${pad(budgeted.writesPerMinute)}${pad(baseline.writesPerMinute)}`);
  console.log(`${'updates per write'.padEnd(36)}${pad(budgeted.updatesPerWrite)}${pad(baseline.updatesPerWrite)}`);
  console.log(`${'budget waits'.padEnd(36)}${pad(budgeted.budgetWaits)}${pad(baseline.budgetWaits)}`);
  console.log(`${'run (s)'.padEnd(36)}${pad(budgeted.seconds.toFixed(1))}${pad(baseline.seconds.toFixed(1))}`);
  const ratio = +(budgeted.updatesPerWrite / Math.max(0.1, baseline.updatesPerWrite)).toFixed(1);
  console.log('');
  console.log(
    `budget ${BUDGET}/min: busiest minute ${budgeted.busiestMinute} (ideal ${BUDGET}, never more); updates per write ${ratio}× the unbudgeted run`,
  );
  const pass = budgeted.busiestMinute <= BUDGET && budgeted.landed === JOBS && baseline.landed === JOBS;
  console.log(pass ? 'PASS' : 'FAIL');
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      bench: 'sheets-writes-shared',
      updates: JOBS,
      budgetPerMinute: BUDGET,
      busiestMinute: budgeted.busiestMinute,
      baselineBusiestMinute: baseline.busiestMinute,
      writes: budgeted.writes,
      baselineWrites: baseline.writes,
      updatesPerWrite: budgeted.updatesPerWrite,
      ratio,
      pass,
    })}`,
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  await redis.remove();
}
