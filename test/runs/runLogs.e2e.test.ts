/**
 * Run logs end to end (issue 11, "run logs with run ids"), with real `run` and `serve` processes
 * against the local media host: every line of a run's file carries its run id (yt-dlp source
 * lines included), the summary line counts the outcomes, `runs` and `runs show` print them, a
 * dispatch to `serve` is a run of its own with `run.finished` once its jobs are done, and the
 * signed GET /v1/runs routes answer.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';

const SECRET = 'runlogs-secret-0123456789abcdef';
const HOOK_SECRET = 'runlogs-hook-0123456789abcdef';
let dir: string;
let host: MediaHost;
let recv: WebhookReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runlogs-e2e-'));
  host = await startMediaHost({ clipCount: 3 });
  recv = await startWebhookReceiver(HOOK_SECRET);
});
afterAll(async () => {
  await recv?.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `serve` on `data` that may fetch from the media host and posts run.finished to the receiver's `hookPath`. */
function serveWithHook(data: string, hookPath: string, extra: Record<string, string> = {}): Promise<ServeProcess> {
  return startServe(
    workerEnv({
      secret: SECRET,
      dataDir: data,
      extra: {
        ARCHIVER_ALLOWED_HOSTS: `${host.host},127.0.0.1:${recv.port}`,
        ARCHIVER_WEBHOOK_URLS: `${recv.url(hookPath)}|run.finished`,
        ARCHIVER_WEBHOOK_SECRET: HOOK_SECRET,
        ...extra,
        LOG_LEVEL: 'error',
      },
    }),
  );
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('run logs', () => {
  it('`run` writes every line of its jobs with its run id, ends with the summary; `runs` and `runs show` print it', async () => {
    const data = join(dir, 'run-data');
    const csv = join(dir, 'people.csv');
    writeFileSync(
      csv,
      `row_id,name,email,type,video\nr1,Ann,a@example.org,FF,${host.clipUrl('clip01')}\nr2,Bo,b@example.org,FF,${host.notFoundUrl()}\nr3,Cy,c@example.org,FF,${host.clipUrl('clip02')}\n`,
    );
    const env = { ARCHIVER_DATA: data, ARCHIVER_RETRY_SCALE: '0.001', LOG_LEVEL: 'error', ARCHIVER_RUN_LOGS_MAX_AGE_DAYS: '30' };
    // a run log from 40 days ago: rotated away when the run starts
    mkdirSync(join(data, 'logs', 'runs'), { recursive: true });
    const stale = join(data, 'logs', 'runs', `${crypto.randomUUID()}.jsonl`);
    writeFileSync(stale, '{"msg":"run started"}\n');
    const longAgo = (Date.now() - 40 * 86_400_000) / 1000;
    utimesSync(stale, longAgo, longAgo);
    const r = await runCli(['run', csv, '--allow-host', host.host, '--json'], env);
    expect(r.code).toBe(0);
    const runId = JSON.parse(r.stdout).runId as string;
    expect(runId).toMatch(/^r_[0-9A-Z]{26}$/);

    const files = readdirSync(join(data, 'logs', 'runs'));
    expect(files).toEqual([`${runId}.jsonl`]);
    const ls = lines(join(data, 'logs', 'runs', `${runId}.jsonl`));
    expect(ls.every((l) => l['runId'] === runId)).toBe(true);
    expect(ls[0]!['msg']).toBe('run started');
    // the source's own lines (yt-dlp) are there, with the job they belong to
    expect(ls.filter((l) => String(l['msg']).startsWith('yt-dlp source') && l['jobId']).length).toBeGreaterThanOrEqual(3);
    expect(ls.filter((l) => l['msg'] === 'job finished')).toHaveLength(3);
    const last = ls[ls.length - 1]!;
    expect(last['msg']).toBe('run finished');
    expect(last['summary']).toMatchObject({
      runId,
      kind: 'run',
      sheetName: 'people.csv',
      jobs: 3,
      rows: 3,
      completed: 2,
      failed: 1,
      cancelled: 0,
      other: 0,
      categories: { not_found: 1 },
    });
    expect(last['summary'].bytes).toBeGreaterThan(1000);
    expect(last['summary'].files).toBeGreaterThanOrEqual(4);

    const list = await runCli(['runs', '--json'], env);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      runId,
      kind: 'run',
      sheetName: 'people.csv',
      status: 'finished',
      jobs: { total: 3, completed: 2, failed: 1, cancelled: 0, other: 0 },
    });
    const table = await runCli(['runs'], env);
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+\\S+\\s+\\S+\\s+people\\.csv\\s+3\\s+2 completed, 1 failed\\s+finished`));

    const show = await runCli(['runs', 'show', runId], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`run:         ${runId} (run, finished)`);
    expect(show.stdout).toContain('failures:    not_found 1');
    expect(show.stdout).toMatch(/INFO +job finished .*status=failed .*category=not_found/);
    // not a terminal: no colour codes
    expect(show.stdout).not.toContain('\x1b[');
    const showJson = await runCli(['runs', 'show', runId, '--json'], env);
    expect(JSON.parse(showJson.stdout).lines).toHaveLength(ls.length);
    const follow = await runCli(['runs', 'show', runId, '--follow'], env, 20_000);
    expect(follow.stdout).toContain('run finished');

    const missing = await runCli(['runs', 'show', 'r_01M8VFW5DMYQ6ZB9WGH050B6JQ'], env);
    expect(missing.code).toBe(1);
    const bad = await runCli(['runs', 'show', '../../etc/passwd'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a run id');
  }, 120_000);

  it('each dispatch to `serve` is a run: its own file, run.finished with its counts once its jobs are done, GET /v1/runs', async () => {
    const data = join(dir, 'serve-data');
    const s = await serveWithHook(data, '/runs');
    try {
      const api = signedClient(s.baseUrl, SECRET);
      const a = dispatchBody([
        { rowId: 'a1', youtube: [host.clipUrl('clip01')] },
        { rowId: 'a2', youtube: [host.notFoundUrl()] },
      ]);
      const b = dispatchBody([{ rowId: 'b1', youtube: [host.clipUrl('clip03')] }]);
      expect((await api.request('POST', '/v1/dispatch', a)).status).toBe(202);
      expect((await api.request('POST', '/v1/dispatch', b)).status).toBe(202);
      const finished = () => recv.received.filter((h) => h.type === 'run.finished' && h.answered === 200);
      await until('two run.finished', () => (finished().length >= 2 ? true : undefined), 60_000, 100);
      await new Promise((r) => setTimeout(r, 300));
      const byRun = new Map(finished().map((h) => [h.body.data.runId, h.body]));
      expect(finished()).toHaveLength(2);
      expect(byRun.get(a.dispatchId)).toMatchObject({
        spreadsheetId: 'sheet-1',
        data: { kind: 'dispatch', sheetName: 'People', jobs: 2, rows: 2, completed: 1, failed: 1, categories: { not_found: 1 } },
      });
      expect(byRun.get(b.dispatchId)).toMatchObject({ data: { kind: 'dispatch', jobs: 1, completed: 1, failed: 0 } });
      expect(finished().every((h) => h.signatureOk)).toBe(true);

      for (const d of [a, b]) {
        const ls = lines(join(data, 'logs', 'runs', `${d.dispatchId}.jsonl`));
        expect(ls.every((l) => l['runId'] === d.dispatchId)).toBe(true);
        expect(ls.at(-1)!['msg']).toBe('run finished');
        expect(new Set(ls.filter((l) => l['rowId']).map((l) => l['rowId']))).toEqual(new Set(d.rows.map((r) => r.rowId)));
        // the last job's own end line too: it is written before that job ends the run
        expect(ls.filter((l) => l['msg'] === 'job finished')).toHaveLength(d.rows.length);
      }
      expect(s.stderr()).not.toContain('runner failed to record a job');

      const list = await api.request('GET', '/v1/runs?limit=5');
      expect(list.status).toBe(200);
      expect(list.body.runs.map((r: { runId: string }) => r.runId).sort()).toEqual([a.dispatchId, b.dispatchId].sort());
      const one = await api.request('GET', `/v1/runs/${a.dispatchId}`);
      expect(one.status).toBe(200);
      expect(one.body.info).toMatchObject({ status: 'finished', jobs: { total: 2, completed: 1, failed: 1 } });
      expect(one.body.lines.at(-1).msg).toBe('run finished');
      const badLimit = await api.request('GET', '/v1/runs?limit=0');
      expect(badLimit.status).toBe(400);
      expect(JSON.stringify(badLimit.body)).toContain('limit');
      expect((await api.request('GET', '/v1/runs/not-a-run')).status).toBe(400);
      expect((await api.request('GET', `/v1/runs/${crypto.randomUUID()}`)).status).toBe(404);
      // unsigned: refused
      expect((await fetch(`${s.baseUrl}/v1/runs`)).status).toBe(401);
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('a dispatch whose jobs are cancelled (one running, one still queued) finishes with both cancels counted', async () => {
    const data = join(dir, 'cancel-data');
    const s = await serveWithHook(data, '/cancel', { ARCHIVER_CONCURRENCY: '1' });
    try {
      const api = signedClient(s.baseUrl, SECRET);
      const d = dispatchBody([
        { rowId: 'c1', youtube: [host.slowUrl()] },
        { rowId: 'c2', youtube: [host.slowUrl()] },
      ]);
      const res = await api.request('POST', '/v1/dispatch', d);
      expect(res.status).toBe(202);
      const ids = (res.body.jobs as { jobId: string }[]).map((j) => j.jobId);
      const running = await until('one job downloading', async () => {
        for (const id of ids) if ((await api.request('GET', `/v1/jobs/${id}`)).body.status === 'downloading') return id;
        return undefined;
      });
      const queued = ids.find((id) => id !== running)!;
      expect((await api.request('POST', `/v1/jobs/${queued}/cancel`)).body).toMatchObject({ status: 'cancelled', killed: false });
      expect((await api.request('POST', `/v1/jobs/${running}/cancel`)).body).toMatchObject({ status: 'cancelled', killed: true });
      const mine = () => recv.received.filter((h) => h.type === 'run.finished' && h.body.data.runId === d.dispatchId);
      await until('run.finished', () => (mine().length ? true : undefined), 30_000);
      expect(mine()[0]!.body.data).toMatchObject({ jobs: 2, completed: 0, failed: 0, cancelled: 2, categories: { cancelled: 2 } });
      const ls = lines(join(data, 'logs', 'runs', `${d.dispatchId}.jsonl`));
      expect(ls.at(-1)!['msg']).toBe('run finished');
      expect(ls.every((l) => l['runId'] === d.dispatchId)).toBe(true);
    } finally {
      await s.stop();
    }
  }, 120_000);
});
