/**
 * Live events end to end (docs/design.md §9, issue 11 item 3): a real `serve`, real jobs against
 * the local media host (real yt-dlp), and SSE clients on `/v1/events` — the worker's own client
 * (events/sseClient.ts), raw HTTP connections, and `sheet-archiver watch --json`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchEvents } from '../../worker/src/events/sseClient.js';
import type { ArchiverEvent, EventFilter } from '../../worker/src/events/types.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { CLI, childEnv, startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'events-secret-0123456789abcdef';
let host: MediaHost;
let worker: ServeProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-events-e2e-'));
  // ~150 KB clips at 60 KB/s: each download takes a few seconds and reports progress on the way
  host = await startMediaHost({ clipCount: 3, clipSeconds: 2, clipKbps: 500, throttleBytesPerSec: 60_000 });
  worker = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data'), mediaHost: host.host }));
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects events from a live connection until `stop` says so. */
function collect(filter: EventFilter, opts: { lastEventId?: number; stop?: (seen: ArchiverEvent[]) => boolean } = {}) {
  const seen: ArchiverEvent[] = [];
  const ac = new AbortController();
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const done = watchEvents({
    baseUrl: worker.baseUrl,
    secret: SECRET,
    filter,
    ...(opts.lastEventId !== undefined ? { lastEventId: opts.lastEventId } : {}),
    signal: ac.signal,
    retryMs: 200,
    onOpen: () => opened(),
    onEvent: (e) => {
      seen.push(e);
      if (opts.stop?.(seen)) ac.abort();
    },
  }).catch((err) => (ac.signal.aborted ? undefined : Promise.reject(err)));
  return { seen, open, done, close: () => ac.abort() };
}

const api = () => signedClient(worker.baseUrl, SECRET);
const completedAll = (n: number) => (seen: ArchiverEvent[]) => seen.filter((e) => e.type === 'job.completed').length >= n;

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('GET /v1/events', () => {
  it('streams queued → started → progress → completed for a real job', async () => {
    const c = collect({ rowId: 'ev1' }, { stop: completedAll(1) });
    await c.open;
    const res = await api().request('POST', '/v1/dispatch', dispatchBody([{ rowId: 'ev1', youtube: [host.clipUrl('clip01')] }]));
    expect(res.status).toBe(202);
    const jobId: string = res.body.jobs[0].jobId;
    await c.done;
    const types = c.seen.map((e) => e.type);
    expect(types[0]).toBe('job.queued');
    expect(types[1]).toBe('job.started');
    expect(types.at(-1)).toBe('job.completed');
    expect(types.slice(2, -1).length).toBeGreaterThan(0);
    expect(new Set(types.slice(2, -1))).toEqual(new Set(['job.progress']));
    for (const e of c.seen) expect(e).toMatchObject({ jobId, rowId: 'ev1', spreadsheetId: 'sheet-1', source: 'youtube' });
    const ids = c.seen.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const progress = c.seen.filter((e) => e.type === 'job.progress');
    expect(progress.at(-1)!.data['percent']).toBe(100);
    expect((c.seen.at(-1)!.data['files'] as string[]).some((f) => f.endsWith('.mp4'))).toBe(true);
    // coalesced: at most about one progress event per second for the job
    const span = Date.parse(progress.at(-1)!.at) - Date.parse(progress[0]!.at);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(span / 1000) + 2);
  }, 90_000);

  it('a reconnect with Last-Event-ID misses nothing and repeats nothing', async () => {
    const filter = { spreadsheetId: 'sheet-reconnect' };
    const first = collect(filter, { stop: (seen) => seen.some((e) => e.type === 'job.progress') });
    await first.open;
    const rows = [
      { rowId: 'rc1', youtube: [host.clipUrl('clip02')] },
      { rowId: 'rc2', youtube: [host.clipUrl('clip03')] },
    ];
    const res = await api().request('POST', '/v1/dispatch', dispatchBody(rows, { spreadsheetId: 'sheet-reconnect' }));
    expect(res.status).toBe(202);
    await first.done; // disconnected mid-run, after the first progress event
    const lastId = first.seen.at(-1)!.id;
    const jobs: string[] = res.body.jobs.map((j: { jobId: string }) => j.jobId);
    // events go on while nobody listens
    await until(
      'a job finished while disconnected',
      async () => {
        const st = await Promise.all(jobs.map((j) => api().request('GET', `/v1/jobs/${j}`)));
        return st.some((s) => s.body.status === 'completed') ? true : undefined;
      },
      60_000,
      200,
    );

    const second = collect(filter, { lastEventId: lastId, stop: (seen) => completedAll(2)([...first.seen, ...seen]) });
    await second.done;
    const union = [...first.seen, ...second.seen];
    const ids = union.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(second.seen[0]!.id).toBeGreaterThan(lastId);
    // the log's full record of the two jobs is exactly the union
    const all = collect(filter, { lastEventId: 0, stop: completedAll(2) });
    await all.done;
    expect(all.seen.map((e) => e.id)).toEqual(ids);
    for (const jobId of jobs) {
      const t = union.filter((e) => e.jobId === jobId).map((e) => e.type);
      expect(t[0]).toBe('job.queued');
      expect(t).toContain('job.started');
      expect(t.at(-1)).toBe('job.completed');
    }
  }, 120_000);

  it('reports a failed job and a cancelled one once each', async () => {
    const filter = { spreadsheetId: 'sheet-fail' };
    const terminal = (seen: ArchiverEvent[]) =>
      seen.some((e) => e.type === 'job.cancelled') && seen.some((e) => e.type === 'job.failed' && e.data['retrying'] === false);
    const c = collect(filter, { stop: terminal });
    await c.open;
    const rows = [
      { rowId: 'f1', youtube: [host.notFoundUrl()] },
      { rowId: 'c1', youtube: [host.slowUrl()] },
    ];
    const res = await api().request('POST', '/v1/dispatch', dispatchBody(rows, { spreadsheetId: 'sheet-fail' }));
    const [failJob, slowJob] = res.body.jobs.map((j: { jobId: string }) => j.jobId) as [string, string];
    await until('slow job started', () => (c.seen.some((e) => e.jobId === slowJob && e.type === 'job.started') ? true : undefined), 60_000);
    expect((await api().request('POST', `/v1/jobs/${slowJob}/cancel`)).status).toBe(200);
    await c.done;
    await new Promise((r) => setTimeout(r, 1000)); // the killed run reports back: no second terminal event
    const replay = collect(filter, { lastEventId: 0, stop: terminal });
    await replay.done;
    const failed = replay.seen.filter((e) => e.jobId === failJob && e.type === 'job.failed');
    expect(failed.at(-1)!.data).toMatchObject({ retrying: false, status: 'failed' });
    expect((failed.at(-1)!.data['error'] as { category: string }).category).toBeTruthy();
    const slow = collect(filter, { lastEventId: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    slow.close();
    const slowTypes = slow.seen.filter((e) => e.jobId === slowJob).map((e) => e.type);
    expect(slowTypes.filter((t) => t === 'job.cancelled')).toHaveLength(1);
    expect(slowTypes.at(-1)).toBe('job.cancelled');
    expect(slowTypes.some((t) => t === 'job.failed' || t === 'job.completed')).toBe(false);
  }, 90_000);

  it('filters by jobId and rowId on replay', async () => {
    const listing = await api().request('GET', '/v1/jobs?rowId=ev1');
    const jobId: string = listing.body.jobs[0].jobId;
    const byJob = collect({ jobId }, { lastEventId: 0, stop: completedAll(1) });
    await byJob.done;
    expect(byJob.seen.length).toBeGreaterThan(3);
    expect(byJob.seen.every((e) => e.jobId === jobId)).toBe(true);
    const byRow = collect({ rowId: 'rc2' }, { lastEventId: 0, stop: completedAll(1) });
    await byRow.done;
    expect(byRow.seen.every((e) => e.rowId === 'rc2' && e.spreadsheetId === 'sheet-reconnect')).toBe(true);
  }, 60_000);

  it('refuses unsigned requests (401) and bad parameters (400 naming the field)', async () => {
    const unsigned = await fetch(`${worker.baseUrl}/v1/events`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: 'unauthorized' });
    for (const [q, field] of [
      ['?rowId=', 'rowId'],
      ['?jobId=nope', 'jobId'],
      ['?lastEventId=abc', 'lastEventId'],
      ['?colour=red', 'colour'],
    ] as const) {
      const r = await api().request('GET', `/v1/events${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.field).toBe(field);
    }
    const path = '/v1/events';
    const badHeader = await fetch(worker.baseUrl + path, {
      headers: { [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', path), 'Last-Event-ID': 'x1' },
    });
    expect(badHeader.status).toBe(400);
    expect(await badHeader.json()).toMatchObject({ field: 'Last-Event-ID' });
  });

  it('100 idle clients hold memory flat', async () => {
    const pid = worker.child.pid!;
    const before = rssKiB(pid);
    const reqs: ClientRequest[] = [];
    let connected = 0;
    for (let i = 0; i < 100; i++) {
      const path = `/v1/events?rowId=idle${i}`;
      const req = httpRequest(
        { host: '127.0.0.1', port: worker.port, path, agent: false, headers: { [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', path) } },
        (res) => {
          res.once('data', () => connected++);
          res.on('error', () => {});
        },
      );
      req.on('error', () => {});
      req.end();
      reqs.push(req);
    }
    await until('100 streams open', () => (connected === 100 ? true : undefined), 30_000);
    const open = rssKiB(pid);
    await new Promise((r) => setTimeout(r, 3000));
    const later = rssKiB(pid);
    for (const r of reqs) r.destroy();
    // generous: 100 idle streams are a few KiB each; GC noise is a few MiB
    expect(open - before).toBeLessThan(40 * 1024);
    expect(later - open).toBeLessThan(10 * 1024);
  }, 60_000);

  it('`watch --json` prints the job’s events', async () => {
    const res = await api().request(
      'POST',
      '/v1/dispatch',
      dispatchBody([{ rowId: 'w1', youtube: [host.clipUrl('clip01')] }], { spreadsheetId: 'sheet-watch' }),
    );
    const jobId: string = res.body.jobs[0].jobId;
    const child = spawn(process.execPath, [CLI, 'watch', '--json', '--url', worker.baseUrl, '--row-id', 'w1', '--last-event-id', '0'], {
      env: childEnv({ ARCHIVER_SECRET: SECRET }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until('watch printed job.completed', () => (out.includes('"job.completed"') ? true : undefined), 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ArchiverEvent);
    expect(events.every((e) => e.jobId === jobId && e.rowId === 'w1')).toBe(true);
    expect(events[0]!.type).toBe('job.queued');
    expect(events.map((e) => e.type)).toContain('job.started');
    expect(events.at(-1)!.type).toBe('job.completed');
  }, 90_000);
});
