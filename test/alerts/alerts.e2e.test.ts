/**
 * Alerts end to end (issue 11 item 2): a real `serve` running real jobs against the local media
 * host (404s, then clips), the built CLI's `report` and `alerts` on the same ARCHIVER_DATA, the
 * signed GET /v1/report, and the alert.raised / alert.cleared events in the worker's event log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiverEvent } from '../../worker/src/events/types.js';
import { watchEvents } from '../../worker/src/events/sseClient.js';
import { runCli, startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'alerts-secret-0123456789abcdef';
let host: MediaHost;
let worker: ServeProcess;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-alerts-e2e-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  env = workerEnv({
    secret: SECRET,
    dataDir: join(dir, 'data'),
    mediaHost: host.host,
    extra: {
      // the failure rate over the last 4 finished jobs, so a few clips clear it again
      ARCHIVER_ALERT_FAILURE_WINDOW: '4',
      ARCHIVER_ALERT_INTERVAL: '300ms',
      // Debian's yt-dlp 2023.03.04 is years old and this disk's free space is whatever it is:
      // those two alerts are tested in report.test.ts with pinned readings
      ARCHIVER_ALERT_MAX_YTDLP_AGE_DAYS: '100000',
      ARCHIVER_ALERT_MIN_DISK_GB: '0',
    },
  });
  worker = await startServe(env);
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = () => signedClient(worker.baseUrl, SECRET);

async function jobsDone(rowIds: string[], status: string): Promise<void> {
  await until(
    `${rowIds.join(',')} ${status}`,
    async () => {
      const res = await api().request('GET', `/v1/jobs?status=${status}&limit=500`);
      const seen = new Set((res.body.jobs as { rowId: string }[]).map((j) => j.rowId));
      return rowIds.every((r) => seen.has(r)) || undefined;
    },
    90_000,
    200,
  );
}

describe('alerts and the report against a running worker', () => {
  it('is clear at first: `alerts` exits 0 and /v1/report is healthy', async () => {
    const cli = await runCli(['alerts'], env);
    expect(cli.stdout).toMatch(/no alerts/);
    expect(cli.code).toBe(0);
    const res = await api().request('GET', '/v1/report');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'healthy', alerts: [], window: { since: '24h' } });
    expect(res.body.trend).toHaveLength(24);
  }, 60_000);

  it('answers /v1/report only when signed, and a bad since is a 400 naming it', async () => {
    const unsigned = await fetch(`${worker.baseUrl}/v1/report`);
    expect(unsigned.status).toBe(401);
    for (const since of ['soon', '-1h', '400d', '1e3']) {
      const res = await api().request('GET', `/v1/report?since=${encodeURIComponent(since)}`);
      expect(res.status, since).toBe(400);
      expect(res.body.field, since).toBe('since');
    }
    const ok = await api().request('GET', '/v1/report?since=90m');
    expect(ok.body.window).toMatchObject({ since: '90m', sinceMs: 90 * 60_000 });
  });

  it('raises failure_rate with not_found advice after real 404s, then clears it after real successes', async () => {
    const seen: ArchiverEvent[] = [];
    const ac = new AbortController();
    const watching = watchEvents({
      baseUrl: worker.baseUrl,
      secret: SECRET,
      lastEventId: 0,
      signal: ac.signal,
      retryMs: 200,
      onEvent: (e) => void seen.push(e),
    }).catch((err) => (ac.signal.aborted ? undefined : Promise.reject(err)));

    const missing = ['m1', 'm2', 'm3'];
    const d = await api().request(
      'POST',
      '/v1/dispatch',
      dispatchBody(missing.map((rowId) => ({ rowId, youtube: [`${host.notFoundUrl()}?${rowId}`] }))),
    );
    expect(d.status).toBe(202);
    await jobsDone(missing, 'failed');

    const report = await runCli(['report', '--json'], env);
    expect(report.code).toBe(0);
    const r = JSON.parse(report.stdout);
    expect(r.status).toBe('critical');
    expect(r.failures).toEqual([expect.objectContaining({ category: 'not_found', count: 3, example: expect.stringMatching(/404/) })]);
    expect(r.successRate.bySource.youtube).toMatchObject({ completed: 0, failed: 3, successRate: 0 });

    const alerts = await runCli(['alerts'], env);
    expect(alerts.code).toBe(1);
    expect(alerts.stdout).toMatch(/CRITICAL failure_rate: 3 of the last 3 finished jobs failed \(100 %/);
    expect(alerts.stdout).toMatch(/100 % of jobs point at media that is gone or a wrong link: fix the links/);
    const json = JSON.parse((await runCli(['alerts', '--json'], env)).stdout);
    expect(json.alerts.map((a: { id: string }) => a.id)).toEqual(['failure_rate']);

    const table = await runCli(['report'], env);
    expect(table.stdout).toMatch(/status: CRITICAL/);
    expect(table.stdout).toMatch(/not_found\s+3/);
    expect(table.stdout).toMatch(/failed\s+\S*█\S*\s+3/);

    await until('alert.raised', () => seen.find((e) => e.type === 'alert.raised'), 30_000);
    const raised = seen.find((e) => e.type === 'alert.raised')!;
    expect(raised.data).toMatchObject({ id: 'failure_rate', severity: 'critical', advice: expect.stringMatching(/fix the links/) });

    const good = ['g1', 'g2', 'g3', 'g4'];
    const g = await api().request(
      'POST',
      '/v1/dispatch',
      dispatchBody(good.map((rowId, i) => ({ rowId, youtube: [host.clipUrl(host.clips[i % 2]!) + `?${rowId}`] }))),
    );
    expect(g.status).toBe(202);
    await jobsDone(good, 'completed');
    await until('alert.cleared', () => seen.find((e) => e.type === 'alert.cleared'), 30_000);
    expect(seen.filter((e) => e.type.startsWith('alert.')).map((e) => e.type)).toEqual(['alert.raised', 'alert.cleared']);
    const clear = await runCli(['alerts'], env);
    expect(clear.code).toBe(0);
    ac.abort();
    await watching;
  }, 180_000);

  it('refuses a bad threshold or --since, naming it (exit 2)', async () => {
    const bad = await runCli(['alerts'], { ...env, ARCHIVER_ALERT_MAX_PENDING: 'lots' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ARCHIVER_ALERT_MAX_PENDING/);
    const since = await runCli(['report', '--since', 'yesterday'], env);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since/);
  }, 60_000);
});
