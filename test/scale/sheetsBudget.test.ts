/**
 * The Sheets write budget shared by three `serve` processes (issue 9 §3, docs/design.md §6): 600
 * jobs finishing across them send no more values:batchUpdate calls in any minute than
 * ARCHIVER_SHEETS_WRITES_PER_MINUTE, asserted on the Sheets stand-in's request log, and every
 * row's status lands. The jobs are Drive files from the Drive stand-in, the cheapest real job kind
 * (no yt-dlp process per job), so 600 of them finish in seconds on two cores. The budget's window
 * is a real minute (the CLI has no time scale), so the test lasts a little over one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveLinks, startDriveStandIn, type DriveStandIn } from '../support/driveStandIn.js';
import { redisUnavailable } from '../support/redis.js';
import { maxInWindow } from '../support/sharedReporters.js';
import { dispatchBody } from '../support/signedFetch.js';
import { until } from '../support/wait.js';
import { allJobs, logLines, sheetRows, startCluster, type Cluster } from './cluster.js';

const ROWS = 600;
const BUDGET = 5;
const MINUTE_MS = 60_000;
let c: Cluster;
let drive: DriveStandIn;

describe.skipIf(redisUnavailable())('three workers, one Sheets write budget', () => {
  beforeAll(async () => {
    drive = await startDriveStandIn();
    c = await startCluster({
      rows: ROWS,
      media: { clipCount: 1, clipSeconds: 1 },
      drive,
      env: { ARCHIVER_CONCURRENCY: '4', ARCHIVER_SHEETS_WRITES_PER_MINUTE: String(BUDGET) },
    });
    await Promise.all([c.startWorker(), c.startWorker(), c.startWorker()]);
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    await drive?.close();
  });

  it(`600 jobs on 3 workers: at most ${BUDGET} batchUpdates in any minute, every update lands`, async () => {
    const file = await drive.addFile({ name: 'cv.pdf', content: { seed: 7, size: 2_000 }, mimeType: 'application/pdf' });
    const link = driveLinks.file(file.id);
    // three dispatches, one per worker, as behind a load balancer
    for (const [i, w] of c.workers.entries()) {
      const rows = c.rows.slice(i * 200, (i + 1) * 200).map((r, k) => ({ rowId: r.rowId, rowNumber: i * 200 + k + 2, drive: [link] }));
      const r = await c.api(w).request('POST', '/v1/dispatch', dispatchBody(rows));
      expect(r.status).toBe(202);
    }
    const jobs = await until(
      'every job completed',
      async () => {
        const all = await allJobs(c.api(c.workers[0]!));
        return all.length === ROWS && all.every((j) => j.status === 'completed') ? all : undefined;
      },
      90_000,
      500,
    );
    const rows = await until(
      'every row completed in the sheet',
      () => {
        const byRow = sheetRows(c.sheets);
        return [...byRow.values()].every((r) => r['drive_status'] === 'completed') ? byRow : undefined;
      },
      MINUTE_MS + 60_000,
      500,
    );
    // all three took part
    for (const w of c.workers) expect(logLines(w).filter((l) => l['msg'] === 'job finished').length).toBeGreaterThan(0);
    for (const j of jobs) expect(rows.get(j.rowId)!['drive_files'], `row ${j.rowId}`).toMatch(new RegExp(`^${j.rowId}/drive/`));

    const writes = c.sheets.requests.filter((r) => r.op === 'values.batchUpdate').map((r) => r.at);
    const t0 = c.sheets.requests[0]!.at;
    const trace = c.sheets.requests.map((r) => `${r.at - t0} ${r.op} ${r.status}`).join('\n');
    expect(maxInWindow(writes, MINUTE_MS), trace).toBeLessThanOrEqual(BUDGET);
    // the budget was what held them back: its whole minute used, and 600 updates in few writes
    expect(writes.length).toBeGreaterThan(BUDGET);
    expect(writes.length).toBeLessThan(3 * BUDGET);
    expect(c.sheets.requests.filter((r) => r.status === 429)).toEqual([]);
  }, 200_000);
});
