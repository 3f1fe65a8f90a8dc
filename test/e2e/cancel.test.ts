/**
 * Cancel through the API of a real `serve` (design §4): a running download is killed (no yt-dlp
 * process left), the job is cancelled, and the row says so; a manual retry then archives it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'cancel-secret-0123456789abcd';
let host: MediaHost;
let sheets: SheetsStandIn;
let worker: ServeProcess;
let dir: string;
const model = new SheetModel();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-cancel-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 1, slowChunkBytes: 2048 });
  model.addSpreadsheet('sheet-1', [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'video'],
        ['501', 'Ana', '', 'FF-Fi/Se-CP/B(S) #4', host.slowUrl()],
      ],
    },
  ]);
  sheets = await SheetsStandIn.start({ model });
  worker = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data'), mediaHost: host.host, sheetsUrl: sheets.url }));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Downloads in progress from the media host: its /slow.mp4 answers still being sent. (A yt-dlp
 * helper (worker/src/sources/ytdlp/pool.ts) gets its URLs on stdin, so `ps` cannot tell which
 * process downloads what; the host can.) Plus any yt-dlp process whose command line names the host.
 */
function downloaders(): string[] {
  const spawned = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('yt-dlp') && l.includes(host.host));
  return [...spawned, ...host.inFlight('/slow.mp4').map((e) => `${e.method} ${e.path}`)];
}

describe('cancel through the API', () => {
  it('kills the running download, marks the job cancelled and the row failed with a message', async () => {
    const api = signedClient(worker.baseUrl, SECRET);
    const res = await api.request('POST', '/v1/dispatch', dispatchBody([{ rowId: '501', rowNumber: 2, youtube: [host.slowUrl()] }]));
    const jobId: string = res.body.jobs[0].jobId;
    await until('yt-dlp running', () => (downloaders().length > 0 ? true : undefined));

    const cancelled = await api.request('POST', `/v1/jobs/${jobId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', killed: true });
    await until('yt-dlp gone', () => (downloaders().length === 0 ? true : undefined), 10_000);

    const sh = model.sheet('sheet-1', 'People')!;
    const cell = (name: string) => {
      const rows = model.rowsOf(sh);
      return rows[1]?.[rows[0]!.indexOf(name)];
    };
    await until('row marked failed', () => (cell('youtube_status') === 'failed' ? true : undefined));
    expect(cell('download_errors')).toMatch(/^youtube#1 cancelled: cancelled on request/);
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body.error).toEqual({ category: 'cancelled', message: 'cancelled on request' });
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body.status).toBe('cancelled');

    // A manual retry brings it back as attempt 2.
    const retried = await api.request('POST', `/v1/jobs/${jobId}/retry`);
    expect(retried.body).toMatchObject({ status: 'queued', attempt: 2 });
    await until('retry running', () => (downloaders().length > 0 ? true : undefined));
    await api.request('POST', `/v1/jobs/${jobId}/cancel`);
    await until('retry killed', () => (downloaders().length === 0 ? true : undefined), 10_000);
  }, 60_000);
});
