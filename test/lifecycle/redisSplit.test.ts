/**
 * Several workers in practice (docs/scaling.md), on a real redis-server: one `serve --no-runner`
 * and two `work` processes share the BullMQ queue. Worker A gets SIGTERM mid-download with a 1 s
 * ARCHIVER_SHUTDOWN_S: it exits 0 at once and hands its job back; worker B finishes every job,
 * each completed exactly once, and every status reaches the sheet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, startWork, workerEnv, type ServeProcess, type WorkProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { peopleSheetStandIn, type SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'redis-split-secret-0123456789abcdef';
const TYPE = 'FF-Fi/Se-CP/B(S) #4';
const missing = redisUnavailable();
if (missing) console.log(`SKIPPED redisSplit: ${missing}`);

describe.skipIf(missing)('serve --no-runner and two `work` on one Redis', () => {
  let redis: RedisHandle;
  let host: MediaHost;
  let sheets: SheetsStandIn;
  let dir: string;
  const procs: (ServeProcess | WorkProcess)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sa-redis-split-'));
    redis = await startRedis();
    // ~1.5 MB clips at 250 KB/s: about 6 s a download
    host = await startMediaHost({ clipCount: 3, clipSeconds: 2, clipKbps: 6000, throttleBytesPerSec: 250_000 });
    sheets = await peopleSheetStandIn(
      host.clips.map((c) => host.clipUrl(c)),
      { rowId: (i) => `q${i}`, type: TYPE },
    );
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) await p.kill().catch(() => {});
    await host?.close();
    await sheets?.close();
    await redis?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (name: string, extra: Record<string, string> = {}) =>
    workerEnv({
      secret: SECRET,
      dataDir: join(dir, name),
      mediaHost: host.host,
      sheetsUrl: sheets.url,
      extra: { REDIS_URL: redis.url, LOG_LEVEL: 'info', ARCHIVER_LEASE_S: '5', ...extra },
    });
  const logs = (p: { stderr(): string }) =>
    p
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; jobId?: string; status?: string });

  it('a worker stopped mid-job hands it to the other; every job completes once and reaches the sheet', async () => {
    const api = await startServe(env('api'), ['--no-runner']);
    procs.push(api);
    const a = await startWork(env('a', { ARCHIVER_CONCURRENCY: '1', ARCHIVER_SHUTDOWN_S: '1' }));
    procs.push(a);
    const client = signedClient(api.baseUrl, SECRET);
    const d = await client.request(
      'POST',
      '/v1/dispatch',
      dispatchBody(host.clips.map((c, i) => ({ rowId: `q${i}`, rowNumber: i + 2, youtube: [host.clipUrl(c)] }))),
    );
    expect(d.status).toBe(202);
    const jobIds = (d.body.jobs as { jobId: string }[]).map((j) => j.jobId);

    await until('A is downloading', () => (logs(a).some((l) => l.msg === 'job started') ? true : undefined), 30_000);
    const held = logs(a).find((l) => l.msg === 'job started')!.jobId!;
    const b = await startWork(env('b', { ARCHIVER_CONCURRENCY: '3' }));
    procs.push(b);

    const t0 = Date.now();
    expect(await a.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(logs(a).some((l) => l.msg === 'job interrupted by the stop; handed back to the queue' && l.jobId === held)).toBe(true);
    expect(logs(a).some((l) => l.msg === 'job finished')).toBe(false);

    await until(
      'all completed',
      async () => {
        const r = await client.request('GET', '/v1/jobs?limit=100');
        const all = r.body.jobs as { jobId: string; status: string }[];
        return all.length === jobIds.length && all.every((j) => j.status === 'completed') ? true : undefined;
      },
      90_000,
    );
    // the API can show a job completed a moment before B's log line about it is read
    const done = () => logs(b).filter((l) => l.msg === 'job finished' && l.status === 'completed');
    await until('B logged every job finished', () => (done().length >= jobIds.length ? true : undefined), 10_000);
    expect(
      done()
        .map((l) => l.jobId)
        .sort(),
    ).toEqual([...jobIds].sort());

    await until(
      'every row completed in the sheet',
      () => {
        const rows = sheets.model.rowsOf(sheets.model.sheet('sheet-1', 'People')!);
        const col = rows[0]!.indexOf('youtube_status');
        return rows.slice(1).every((r) => r[col] === 'completed') ? true : undefined;
      },
      30_000,
    );
    expect(await b.stop()).toBe(0);
    const apiExit = new Promise<number | null>((r) => api.child.once('exit', (c) => r(c)));
    api.child.kill('SIGTERM');
    expect(await apiExit).toBe(0);
  }, 180_000);
});
