/**
 * Webhooks end to end (docs/design.md §9) with real `serve` and `run` processes and a local
 * receiver allowed through ARCHIVER_ALLOWED_HOSTS: deliveries that got 500s resume after a
 * kill -9 mid-backoff with the same event and delivery ids; `run` ends with `run.finished`;
 * `webhooks test` and `webhooks list`; a private URL stops start-up and is never connected to.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, workerEnv } from '../support/cli.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';

const SECRET = 'serve-secret-0123456789abcdef';
const HOOK_SECRET = 'hook-secret-0123456789abcdef';
let dir: string;
let recv: WebhookReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-e2e-'));
  recv = await startWebhookReceiver(HOOK_SECRET);
});
afterAll(async () => {
  await recv?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hookEnv = (dataDir: string, urls: string, extra: Record<string, string> = {}) =>
  workerEnv({
    secret: SECRET,
    dataDir,
    extra: {
      ARCHIVER_ALLOWED_HOSTS: `127.0.0.1:${recv.port}`,
      ARCHIVER_WEBHOOK_URLS: urls,
      ARCHIVER_WEBHOOK_SECRET: HOOK_SECRET,
      ...extra,
    },
  });

describe('webhooks with serve', () => {
  it('a worker killed mid-backoff delivers after its restart, with the same ids', async () => {
    const dataDir = join(dir, 'restart');
    // backoff 0.5–1 s, then 1–2 s …: the kill lands while a retry waits
    const env = hookEnv(dataDir, `${recv.url('/restart')}|job.queued`, { ARCHIVER_RETRY_SCALE: '0.2' });
    const mine = () => recv.received.filter((h) => h.type === 'job.queued');
    recv.answer = () => 500;
    const a = await startServe(env);
    let ids: unknown[] = [];
    try {
      const res = await signedClient(a.baseUrl, SECRET).request(
        'POST',
        '/v1/dispatch',
        dispatchBody([
          { rowId: 'w1', youtube: ['https://nowhere.example/a.mp4'] },
          { rowId: 'w2', youtube: ['https://nowhere.example/b.mp4'] },
        ]),
      );
      expect(res.status).toBe(202);
      await until('both events tried', () => (new Set(mine().map((h) => h.eventId)).size === 2 ? true : undefined), 30_000, 20);
    } finally {
      await a.kill();
    }
    ids = [...new Set(mine().map((h) => h.eventId))];
    const deliveries = new Map(mine().map((h) => [h.eventId, h.deliveryId]));
    expect(mine().every((h) => h.answered === 500 && h.signatureOk)).toBe(true);

    recv.answer = () => 200;
    const b = await startServe(env);
    try {
      await until('delivered after restart', () => (mine().filter((h) => h.answered === 200).length === 2 ? true : undefined), 30_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      const ok = mine().filter((h) => h.answered === 200);
      expect(ok.map((h) => h.eventId).sort()).toEqual([...ids].sort());
      for (const h of ok) expect(h.deliveryId).toBe(deliveries.get(h.eventId));
      expect(ok.map((h) => h.body.rowId).sort()).toEqual(['w1', 'w2']);
    } finally {
      await b.stop();
    }

    const list = await runCli(['webhooks', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ url: recv.url('/restart'), events: ['job.queued'], state: 'enabled', delivered: 2, pending: 0, dead: 0 }),
    ]);
    const table = await runCli(['webhooks', 'list'], env);
    expect(table.stdout).toMatch(/wh_[0-9a-f]{12}\s+http:\/\/127\.0\.0\.1:\d+\/restart\s+job\.queued\s+enabled\s+0\s+2\s+0/);
    expect(table.stdout + table.stderr).not.toContain(HOOK_SECRET);
  }, 120_000);

  it('a 410 disables the endpoint for serve; `webhooks list` shows it and `webhooks enable` turns it back on', async () => {
    const env = hookEnv(join(dir, 'gone'), `${recv.url('/gone')}|job.queued`);
    recv.answer = () => 410;
    const s = await startServe(env);
    try {
      const res = await signedClient(s.baseUrl, SECRET).request(
        'POST',
        '/v1/dispatch',
        dispatchBody([{ rowId: 'g1', youtube: ['https://nowhere.example/g.mp4'] }]),
      );
      expect(res.status).toBe(202);
      await until('410 answered', () => (recv.received.some((h) => h.answered === 410) ? true : undefined), 30_000, 20);
      await until('logged at warn', () => (/answered 410 Gone: disabled/.test(s.stderr()) ? true : undefined), 10_000, 50);
    } finally {
      await s.stop();
    }
    const listed = JSON.parse((await runCli(['webhooks', 'list', '--json'], env)).stdout);
    expect(listed[0]).toMatchObject({ state: 'disabled', disabledReason: expect.stringContaining('410 Gone'), pending: 1 });
    const en = await runCli(['webhooks', 'enable', '--url', recv.url('/gone')], env);
    expect(en.code).toBe(0);
    expect(en.stdout).toMatch(/^1 endpoint\(s\) enabled again/);
    expect(JSON.parse((await runCli(['webhooks', 'list', '--json'], env)).stdout)[0]).toMatchObject({ state: 'enabled', pending: 1 });
    const bad = await runCli(['webhooks', 'enable', '--url', 'https://other.example/x'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--url: "https:\/\/other.example\/x" is not in ARCHIVER_WEBHOOK_URLS/);
    recv.answer = () => 200;
  }, 90_000);

  it('refuses to start with a webhook URL on a private address, and never connects to it', async () => {
    const before = recv.connections;
    await expect(startServe(hookEnv(join(dir, 'private'), 'http://10.0.0.1/hook'))).rejects.toThrow(
      /exited with 2[\s\S]*ARCHIVER_WEBHOOK_URLS: entry "http:\/\/10\.0\.0\.1\/hook": 10\.0\.0\.1 is a private/,
    );
    // the receiver's own address, not listed in ARCHIVER_ALLOWED_HOSTS
    await expect(startServe(hookEnv(join(dir, 'private'), recv.url('/x'), { ARCHIVER_ALLOWED_HOSTS: '' }))).rejects.toThrow(
      /127\.0\.0\.1:\d+ is a private, loopback or link-local address \(list 127\.0\.0\.1:\d+ in ARCHIVER_ALLOWED_HOSTS/,
    );
    const t = await runCli(
      ['webhooks', 'test', '--url', `http://localhost:${recv.port}/x`],
      hookEnv(join(dir, 'private'), '', { ARCHIVER_ALLOWED_HOSTS: '' }),
    );
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/no answer\s+refused: blocked by archiver host guard: localhost:\d+/);
    expect(recv.connections).toBe(before);
  }, 60_000);
});

describe('webhooks test and run', () => {
  it('`webhooks test` sends a signed webhook.test to each endpoint and prints each answer', async () => {
    recv.answer = (h) => (h.type === 'webhook.test' && h.deliveryId ? 202 : 500);
    const env = hookEnv(join(dir, 'test'), `${recv.url('/t1')}|job.failed ${recv.url('/t2')}`);
    const before = recv.received.length;
    const r = await runCli(['webhooks', 'test'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/t1\s+202\s+ok/);
    expect(r.stdout).toMatch(/\/t2\s+202\s+ok/);
    const got = recv.received.slice(before);
    expect(got).toHaveLength(2);
    expect(
      got.every((h) => h.signatureOk && h.type === 'webhook.test' && h.eventHeader === 'webhook.test' && /^test_/.test(String(h.eventId))),
    ).toBe(true);
    recv.answer = () => 200;
  }, 60_000);

  it('`run` ends with run.finished carrying the session counts', async () => {
    const csv = join(dir, 'people.csv');
    // links on the receiver's own (allowed) host: yt-dlp gets 401s there, so both rows fail
    const link = (n: string) => `http://127.0.0.1:${recv.port}/media/${n}.mp4`;
    writeFileSync(csv, `row_id,name,email,type,video\nr1,Ann,a@example.org,FF,${link('a')}\nr2,Bo,b@example.org,FF,${link('b')}\n`);
    const before = recv.received.length;
    const r = await runCli(['run', csv, '--json'], hookEnv(join(dir, 'run'), `${recv.url('/run')}|run.finished,job.failed`));
    expect(r.code).toBe(0);
    const got = recv.received.slice(before).filter((h) => h.method === 'POST');
    const fin = got.filter((h) => h.type === 'run.finished');
    expect(fin).toHaveLength(1);
    expect(fin[0]!.body.data).toMatchObject({ kind: 'run', jobs: 2, completed: 0, failed: 2, runId: expect.any(String) });
    expect(
      got
        .filter((h) => h.type === 'job.failed')
        .map((h) => h.body.rowId)
        .sort(),
    ).toEqual(['r1', 'r2']);
    expect(got.every((h) => h.signatureOk && h.answered === 200)).toBe(true);
  }, 120_000);
});
