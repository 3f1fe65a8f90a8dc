/**
 * GET /metrics end to end (issue 11 item 1): a real `sheet-archiver serve` with its metrics
 * listener on a free loopback port archives a clip and a missing file from the local media host
 * (real yt-dlp and ffmpeg) and writes statuses into a CSV; its scrapes parse as the Prometheus
 * text format and the counters move. /metrics is never served where it should not be: not on the
 * main port beside a metrics listener, not without the token, not at all when neither is set.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { parsePrometheusText, sampleSum, sampleValue, type Family } from '../support/promText.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'metrics-secret-0123456789abcdef';
const TOKEN = 'metrics-token-0123456789abcdef';
let host: MediaHost;
let dir: string;
let worker: ServeProcess;
let withToken: ServeProcess;
let closed: ServeProcess;
let metricsUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-metrics-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 1 });
  const csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    'row_id,name,email,type,link\n1,Person 1,p1@example.org,FF-Fi/Se-CP/B(S) #4,x\n2,Person 2,p2@example.org,FF-Fi/Se-CP/B(S) #4,y\n',
  );
  [worker, withToken, closed] = await Promise.all([
    startServe(
      workerEnv({
        secret: SECRET,
        dataDir: join(dir, 'a'),
        mediaHost: host.host,
        extra: { METRICS_PORT: '0', ARCHIVER_SHEET: 'csv', ARCHIVER_CSV: csv },
      }),
    ),
    startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'b'), extra: { METRICS_TOKEN: TOKEN } })),
    startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'c') })),
  ]);
  metricsUrl = await until('the metrics listener line', () => /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.stderr())?.[1]);
}, 120_000);

afterAll(async () => {
  await Promise.all([worker?.stop(), withToken?.stop(), closed?.stop()]);
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(url = metricsUrl, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('GET /metrics on the metrics listener', () => {
  it('parses as the exposition format, and the counters move as a real run goes', async () => {
    const before = await scrape();
    expect(before.get('sheet_archiver_jobs')?.type).toBe('gauge');
    expect(before.get('sheet_archiver_jobs_finished_total')?.type).toBe('counter');
    expect(before.get('sheet_archiver_job_duration_seconds')?.type).toBe('histogram');
    expect(before.get('sheet_archiver_process_resident_memory_bytes')?.type).toBe('gauge'); // default Node metrics
    expect(sampleSum(before, 'sheet_archiver_jobs_finished_total')).toBe(0);
    expect(sampleValue(before, 'sheet_archiver_queue_depth', { lane: 'youtube' })).toBe(0);
    expect(sampleValue(before, 'sheet_archiver_lane_paused', { lane: 'youtube' })).toBe(0);
    expect(sampleValue(before, 'sheet_archiver_oldest_queued_job_age_seconds')).toBe(0);

    const api = signedClient(worker.baseUrl, SECRET);
    const clip = host.clips[0]!;
    const d = await api.request(
      'POST',
      '/v1/dispatch',
      dispatchBody([
        { rowId: '1', youtube: [host.clipUrl(clip)] },
        { rowId: '2', youtube: [host.notFoundUrl('mp4')] },
      ]),
    );
    expect(d.status).toBe(202);
    const ids: string[] = d.body.jobs.map((j: { jobId: string }) => j.jobId);

    // during the run: the shared-queue gauges account for both jobs at every scrape
    let sawOpen = false;
    await until(
      'both jobs finished',
      async () => {
        const m = await scrape();
        const youtube = ['queued', 'downloading', 'uploading', 'retrying', 'completed', 'failed'].map(
          (status) => sampleValue(m, 'sheet_archiver_jobs', { status, source: 'youtube' }) ?? 0,
        );
        expect(youtube.reduce((a, b) => a + b, 0)).toBe(2);
        if (youtube.slice(0, 4).some((n) => n > 0)) sawOpen = true;
        const jobs = await Promise.all(ids.map((id) => api.request('GET', `/v1/jobs/${id}`)));
        return jobs.every((j) => j.body.status === 'completed' || j.body.status === 'failed') ? jobs : undefined;
      },
      90_000,
      200,
    );
    expect(sawOpen).toBe(true);

    // the last status updates reach the CSV within a few report windows: the outbox drains
    const after = await until(
      'the outbox drained',
      async () => {
        const m = await scrape();
        return sampleValue(m, 'sheet_archiver_outbox_backlog') === 0 && sampleSum(m, 'sheet_archiver_sheets_updates_total') >= 2
          ? m
          : undefined;
      },
      30_000,
      200,
    );
    expect(sampleValue(after, 'sheet_archiver_jobs', { status: 'completed', source: 'youtube' })).toBe(1);
    expect(sampleValue(after, 'sheet_archiver_jobs', { status: 'failed', source: 'youtube' })).toBe(1);
    expect(sampleValue(after, 'sheet_archiver_jobs_finished_total', { source: 'youtube', outcome: 'completed', category: 'none' })).toBe(1);
    expect(sampleValue(after, 'sheet_archiver_jobs_finished_total', { source: 'youtube', outcome: 'failed', category: 'not_found' })).toBe(
      1,
    );
    expect(sampleValue(after, 'sheet_archiver_job_duration_seconds_count', { source: 'youtube', outcome: 'completed' })).toBe(1);
    expect(sampleValue(after, 'sheet_archiver_job_duration_seconds_sum', { source: 'youtube', outcome: 'completed' })).toBeGreaterThan(0);
    // the clip, its info JSON, thumbnail and metadata.json were written to the store
    const clipBytes = statSync(join(host.mediaDir, `${clip}.mp4`)).size;
    expect(sampleValue(after, 'sheet_archiver_archived_bytes_total', { store: 'local' })).toBeGreaterThan(clipBytes);
    expect(sampleValue(after, 'sheet_archiver_ytdlp_runs_total', { kind: 'download', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'sheet_archiver_ytdlp_runs_total', { kind: 'download', outcome: 'not_found' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(after, 'sheet_archiver_sheets_write_requests_total', { backend: 'csv', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(after, 'sheet_archiver_job_retries_total')).toBe(0);
    expect(sampleValue(after, 'sheet_archiver_queue_depth', { lane: host.host })).toBe(0);
    // HTTP request metrics of the main app (@hono/prometheus), by route
    expect(sampleValue(after, 'sheet_archiver_http_requests_total', { method: 'POST', route: '/v1/dispatch', status: '202' })).toBe(1);
    expect(sampleSum(after, 'sheet_archiver_http_requests_total', { route: '/v1/jobs/:jobId' })).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it('serves nothing else on the metrics listener, and nothing at /metrics on the main port', async () => {
    expect((await fetch(metricsUrl.replace('/metrics', '/v1/jobs'))).status).toBe(404);
    expect((await fetch(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(404);
    const main = await fetch(`${worker.baseUrl}/metrics`);
    expect(main.status).toBe(404);
    expect(await main.text()).not.toContain('sheet_archiver_');
  });
});

describe('GET /metrics on the main port', () => {
  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    const url = `${withToken.baseUrl}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('sheet_archiver_');
    const m = await scrape(url, { Authorization: `Bearer ${TOKEN}` });
    expect(m.get('sheet_archiver_jobs')?.samples.length).toBe(14); // 7 statuses × 2 sources
    // the token never reaches the log
    expect(withToken.stderr()).not.toContain(TOKEN);
  });

  it('is not served at all with neither METRICS_PORT nor METRICS_TOKEN', async () => {
    const res = await fetch(`${closed.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(closed.stderr()).not.toMatch(/metrics on/);
  });
});
