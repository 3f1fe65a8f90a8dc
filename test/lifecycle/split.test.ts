/**
 * The scale-out split (docs/scaling.md): `serve --no-runner` accepts a dispatch and runs nothing;
 * `work` (no HTTP API) on the same queue runs the job and writes its status back; both stop with
 * SIGTERM and exit 0. They share the SQLite queue file here; with REDIS_URL they share Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, startWork, workerEnv, type ServeProcess, type WorkProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'split-secret-0123456789abcdef';
let host: MediaHost;
let sheets: SheetsStandIn;
let dir: string;
let api: ServeProcess | undefined;
let worker: WorkProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-split-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 1 });
  const model = new SheetModel();
  model.addSpreadsheet('sheet-1', [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'video'],
        ['s1', 'P', 'p@example.org', 'FF-Fi/Se-CP/B(S) #4', host.clipUrl(host.clips[0]!)],
      ],
    },
  ]);
  sheets = await SheetsStandIn.start({ model });
}, 120_000);

afterAll(async () => {
  await api?.kill().catch(() => {});
  await worker?.kill().catch(() => {});
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve --no-runner and work', () => {
  it('the API only queues; the worker runs the job and writes its status; both exit 0 on SIGTERM', async () => {
    const env = workerEnv({
      secret: SECRET,
      dataDir: join(dir, 'data'),
      mediaHost: host.host,
      sheetsUrl: sheets.url,
      extra: { LOG_LEVEL: 'info' },
    });
    api = await startServe(env, ['--no-runner']);
    expect(api.stderr()).toMatch(/API only/);
    const client = signedClient(api.baseUrl, SECRET);
    const d = await client.request('POST', '/v1/dispatch', dispatchBody([{ rowId: 's1', youtube: [host.clipUrl(host.clips[0]!)] }]));
    expect(d.status).toBe(202);
    const jobId = d.body.jobs[0].jobId as string;

    // no runner: the job stays queued, and nothing was fetched from the media host
    await new Promise((r) => setTimeout(r, 1500));
    expect((await client.request('GET', `/v1/jobs/${jobId}`)).body.status).toBe('queued');
    expect(host.requests.filter((r) => r.path.startsWith('/clips/'))).toEqual([]);

    worker = await startWork(env);
    await until(
      'completed by the worker',
      async () => ((await client.request('GET', `/v1/jobs/${jobId}`)).body.status === 'completed' ? true : undefined),
      60_000,
    );
    await until(
      'status in the sheet',
      () => {
        const r = sheets.model.rowsOf(sheets.model.sheet('sheet-1', 'People')!);
        return r[1]![r[0]!.indexOf('youtube_status')] === 'completed' ? true : undefined;
      },
      15_000,
    );
    // the worker has no API: its log names the job, the API's does not
    expect(worker.stderr()).toContain(`"jobId":"${jobId}"`);
    expect(api.stderr()).not.toMatch(/"msg":"job started"/);

    expect(await worker.stop()).toBe(0);
    expect(worker.stderr()).toMatch(/shutdown: done/);
    const apiExit = new Promise<number | null>((r) => api!.child.once('exit', (c) => r(c)));
    api.child.kill('SIGTERM');
    expect(await apiExit).toBe(0);
  }, 120_000);
});
