/**
 * Graceful shutdown for real (lifecycle/shutdown.ts): a `serve` process with a download under way
 * gets SIGTERM. It exits 0 within ARCHIVER_SHUTDOWN_S (plus the hand-back and flush); the job is
 * either completed or still open in the queue for the next process, and every status update
 * reaches the sheet. The report window is a minute, so only the shutdown's flush can deliver them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { peopleSheetStandIn, type SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'shutdown-secret-0123456789abcdef';
let host: MediaHost;
let sheets: SheetsStandIn;
let dir: string;
const procs: ServeProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-shutdown-'));
  // ~1.5 MB clips at 250 KB/s: a download takes about 6 s
  host = await startMediaHost({ clipCount: 2, clipSeconds: 2, clipKbps: 6000, throttleBytesPerSec: 250_000 });
  sheets = await peopleSheetStandIn(
    host.clips.map((c) => host.clipUrl(c)),
    { rowId: (i) => `r${i}` },
  );
}, 120_000);

afterAll(async () => {
  for (const p of procs) await p.kill().catch(() => {});
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts serve on its own data folder, dispatches one row and waits until its download is under way. */
async function serveWithRunningJob(name: string, row: number, shutdownS: number) {
  const dataDir = join(dir, name);
  const env = workerEnv({
    secret: SECRET,
    dataDir,
    mediaHost: host.host,
    sheetsUrl: sheets.url,
    extra: { ARCHIVER_SHUTDOWN_S: String(shutdownS), ARCHIVER_REPORT_WINDOW_MS: '60000', ARCHIVER_LEASE_S: '2', LOG_LEVEL: 'info' },
  });
  const proc = await startServe(env);
  procs.push(proc);
  const api = signedClient(proc.baseUrl, SECRET);
  const clip = host.clips[row]!;
  const d = await api.request(
    'POST',
    '/v1/dispatch',
    dispatchBody([{ rowId: `r${row}`, rowNumber: row + 2, youtube: [host.clipUrl(clip)] }]),
  );
  expect(d.status).toBe(202);
  const jobId = d.body.jobs[0].jobId as string;
  await until('download under way', () => (host.inFlight(`/clips/${clip}.mp4`).length > 0 ? true : undefined), 30_000);
  return { proc, env, dataDir, jobId };
}

async function sigterm(proc: ServeProcess, whileDraining?: () => Promise<void>): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  const exited = new Promise<number | null>((r) => proc.child.once('exit', (code) => r(code)));
  proc.child.kill('SIGTERM');
  if (whileDraining) {
    await until('draining', () => (proc.stderr().includes('shutdown: stopped leasing') ? true : undefined), 10_000);
    await whileDraining();
  }
  const code = await exited;
  if (process.env['DEBUG_SHUTDOWN']) console.log(proc.stderr());
  return { code, ms: Date.now() - t0 };
}

const statusOf = (rowId: string): string => {
  const rows = sheets.model.rowsOf(sheets.model.sheet('sheet-1', 'People')!);
  const row = rows.find((r) => r[0] === rowId);
  return row?.[rows[0]!.indexOf('youtube_status')] ?? '';
};

const logLines = (proc: ServeProcess) =>
  proc
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });

describe('SIGTERM with a job running', () => {
  it('lets the job finish within ARCHIVER_SHUTDOWN_S, flushes its status and exits 0', async () => {
    const { proc, dataDir, jobId } = await serveWithRunningJob('finish', 0, 30);
    let readyz: { status: number; body: { checks: Record<string, { ok: boolean }> } } | undefined;
    const { code, ms } = await sigterm(proc, async () => {
      // while it drains, /readyz sends the load balancer elsewhere; the API still answers
      const res = await fetch(`${proc.baseUrl}/readyz`);
      readyz = { status: res.status, body: (await res.json()) as never };
    });
    expect(readyz).toMatchObject({ status: 503, body: { checks: { shutdown: { ok: false } } } });
    expect(code).toBe(0);
    expect(ms).toBeLessThan(30_000);
    const q = new SqliteJobBackend(join(dataDir, 'queue.db'));
    try {
      expect((await q.get(jobId))?.status).toBe('completed');
    } finally {
      await q.close();
    }
    // the completed status went out with the shutdown's flush (the window is a minute)
    expect(statusOf('r0')).toBe('completed');
    const msgs = logLines(proc).map((l) => l.msg);
    const order = [
      'shutdown: signal received',
      'shutdown: stopped leasing; waiting for running jobs',
      'shutdown: running jobs finished',
      'shutdown: done',
    ];
    expect(order.map((m) => msgs.indexOf(m)).every((i, k, a) => i >= 0 && (k === 0 || i > a[k - 1]!))).toBe(true);
    expect(msgs.indexOf('job finished')).toBeLessThan(msgs.indexOf('shutdown: running jobs finished'));
  }, 90_000);

  it('past the deadline aborts the job, keeps it open for the next process, flushes, exits 0 in time', async () => {
    const { proc, env, dataDir, jobId } = await serveWithRunningJob('abort', 1, 1);
    const { code, ms } = await sigterm(proc);
    expect(code).toBe(0);
    // 1 s deadline, the abort, the flush: well under the download's own ~6 s
    expect(ms).toBeLessThan(5_000);
    const q = new SqliteJobBackend(join(dataDir, 'queue.db'));
    try {
      const job = (await q.get(jobId))!;
      // handed back (JobConsumer.release): queued again, same attempt, for the next worker
      expect(job.status).toBe('queued');
      expect(job.attempt).toBe(1);
    } finally {
      await q.close();
    }
    // the `downloading` update was not lost: the shutdown flushed it
    expect(statusOf('r1')).toBe('downloading');
    expect(logLines(proc).some((l) => l.msg === 'shutdown: deadline reached; aborting the jobs still running and handing them back')).toBe(
      true,
    );

    // the next process on the same data folder runs it to the end
    const next = await startServe({ ...env, ARCHIVER_REPORT_WINDOW_MS: '200' });
    procs.push(next);
    const api = signedClient(next.baseUrl, SECRET);
    await until(
      'job completed by the next process',
      async () => {
        const r = await api.request('GET', `/v1/jobs/${jobId}`);
        return r.body.status === 'completed' ? true : undefined;
      },
      60_000,
    );
    await until('sheet shows completed', () => (statusOf('r1') === 'completed' ? true : undefined), 10_000);
    expect((await sigterm(next)).code).toBe(0);
  }, 120_000);
});
