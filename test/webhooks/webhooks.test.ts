/**
 * Webhooks in process (docs/design.md §9): endpoint parsing and start-up refusals, and the
 * dispatcher over the real event log, bus and outbox tables (SQLite) POSTing to a real local
 * receiver that checks each signature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../worker/src/config/env.js';
import { EventBus } from '../../worker/src/events/bus.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { ArchiverMetrics } from '../../worker/src/metrics/registry.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { SqliteQueueGauges } from '../../worker/src/jobs/sqliteGauges.js';
import { backoffMs, WebhookDispatcher } from '../../worker/src/webhooks/dispatcher.js';
import { parseWebhookUrls, wants, type WebhookEndpoint } from '../../worker/src/webhooks/endpoints.js';
import { signWebhook, verifyWebhook } from '../../worker/src/webhooks/sign.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver.js';
import { until } from '../support/wait.js';

const SECRET = 'webhook-secret-0123456789abcdef';
const log = pino({ level: 'silent' });
let dir: string;
let recv: WebhookReceiver;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-'));
  recv = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await recv?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  recv.received.length = 0;
  recv.answer = () => 200;
});

const ev = (type: 'job.queued' | 'job.failed' | 'job.completed' | 'alert.raised' | 'run.finished', rowId = 'r1') => ({
  type,
  jobId: 'j_1',
  rowId,
  spreadsheetId: 's1',
  source: 'youtube' as const,
  data: { n: 1 },
});

let n = 0;
/** A fresh queue file with its log, bus and a dispatcher on `endpoints`. */
function open(endpoints: WebhookEndpoint[], allowedHosts = [`127.0.0.1:${recv.port}`], path = join(dir, `q${++n}.db`)) {
  const queue = new SqliteJobBackend(path);
  const bus = new EventBus(new SqliteEventLog(queue.db));
  const d = new WebhookDispatcher({ endpoints, secret: SECRET, allowedHosts, bus, log, retryScale: 0.005 });
  return {
    queue,
    bus,
    d,
    path,
    async close() {
      await d.close();
      bus.closeAll();
      await queue.close();
    },
  };
}

describe('ARCHIVER_WEBHOOK_URLS', () => {
  it('parses several entries with optional filters', async () => {
    const eps = parseWebhookUrls('https://a.example/hook|job.failed,job.completed  https://b.example/x\nhttps://c.example/y|alert.*', []);
    expect(eps.map((e) => [e.url, e.events])).toEqual([
      ['https://a.example/hook', ['job.failed', 'job.completed']],
      ['https://b.example/x', null],
      ['https://c.example/y', ['alert.*']],
    ]);
    expect(wants(eps[0]!, 'job.failed')).toBe(true);
    expect(wants(eps[0]!, 'job.queued')).toBe(false);
    expect(wants(eps[2]!, 'alert.cleared')).toBe(true);
    expect(wants(eps[2]!, 'webhook.test')).toBe(true);
  });

  it('refuses bad entries at start-up with a ConfigError naming the entry', async () => {
    const cfg =
      (urls: string, extra: Record<string, string> = {}) =>
      () =>
        loadConfig({ ARCHIVER_WEBHOOK_URLS: urls, ARCHIVER_WEBHOOK_SECRET: SECRET, ...extra });
    expect(cfg('file:///etc/passwd')).toThrow(ConfigError);
    expect(cfg('file:///etc/passwd')).toThrow(/ARCHIVER_WEBHOOK_URLS: entry "file:\/\/\/etc\/passwd": scheme file: is not allowed/);
    expect(cfg('https://ok.example/a https://b.example/x|job.finished')).toThrow(
      /entry "https:\/\/b.example\/x": unknown event type "job.finished"/,
    );
    expect(cfg('http://10.0.0.1/hook')).toThrow(/entry "http:\/\/10.0.0.1\/hook": 10.0.0.1 is a private, loopback or link-local address/);
    expect(cfg('http://[::1]:9/x')).toThrow(/private, loopback or link-local/);
    expect(cfg('http://169.254.169.254/latest')).toThrow(/private, loopback or link-local/);
    expect(cfg('https://a.example/x?token=s3cr3t|')).toThrow(/entry "https:\/\/a.example\/x\?…": empty event filter/);
    expect(() => loadConfig({ ARCHIVER_WEBHOOK_URLS: 'https://a.example/x' })).toThrow(/ARCHIVER_WEBHOOK_SECRET: required/);
    // listed on purpose: allowed
    expect(cfg('http://127.0.0.1:9999/hook', { ARCHIVER_ALLOWED_HOSTS: '127.0.0.1:9999' })().webhooks).toHaveLength(1);
  });

  it('signs as t=<s>,v1=<hex HMAC-SHA256("<t>.<body>")> and verifies within the window only', async () => {
    const h = signWebhook(SECRET, '{"id":1}', 1_700_000_000);
    expect(h).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, h, '{"id":1}', 300, 1_700_000_100)).toBe(true);
    expect(verifyWebhook(SECRET, h, '{"id":2}', 300, 1_700_000_100)).toBe(false);
    expect(verifyWebhook(SECRET, h, '{"id":1}', 300, 1_700_001_000)).toBe(false);
  });

  it('backs off exponentially with jitter, capped at 1 h', async () => {
    expect(backoffMs(1, 1, () => 0)).toBe(2500);
    expect(backoffMs(1, 1, () => 1)).toBe(5000);
    expect(backoffMs(4, 1, () => 1)).toBe(40_000);
    expect(backoffMs(30, 1, () => 1)).toBe(3600_000);
  });
});

describe('the dispatcher', () => {
  it('delivers every matching event once, signed, with its id, type and a delivery id', async () => {
    const eps = parseWebhookUrls(`${recv.url('/all')} ${recv.url('/failed')}|job.failed,alert.*`, [`127.0.0.1:${recv.port}`]);
    const w = open(eps);
    w.d.start();
    const published = [
      w.bus.publish(ev('job.queued')),
      w.bus.publish(ev('job.failed')),
      w.bus.publish(ev('alert.raised')),
      w.bus.publish(ev('run.finished')),
    ];
    await until('all delivered', () => (recv.received.length >= 6 ? true : undefined), 15_000, 20);
    await new Promise((r) => setTimeout(r, 300)); // and nothing more
    expect(recv.received.every((h) => h.signatureOk)).toBe(true);
    const all = recv.received.filter((h) => h.body && h.answered === 200);
    expect(all).toHaveLength(6);
    const byPath = (ids: unknown[]) =>
      all
        .filter((h) => ids.includes(h.eventId))
        .map((h) => h.type)
        .sort();
    expect(byPath(published.map((p) => p.id))).toEqual([
      'alert.raised',
      'alert.raised',
      'job.failed',
      'job.failed',
      'job.queued',
      'run.finished',
    ]);
    for (const h of all) {
      expect(h.eventHeader).toBe(h.type);
      expect(h.deliveryId).toMatch(/^dl_/);
      expect(h.body).toMatchObject({ id: expect.any(Number), rowId: 'r1', spreadsheetId: 's1', data: { n: 1 } });
    }
    expect(new Set(all.map((h) => h.deliveryId)).size).toBe(6);
    expect(await until('backlog empty', () => (w.d.backlog() === 0 ? 0 : undefined), 15_000, 20)).toBe(0);
    await w.close();
  });

  it('retries 500s with backoff, the same event id and delivery id each time, until a 2xx', async () => {
    const w = open(parseWebhookUrls(recv.url('/flaky'), [`127.0.0.1:${recv.port}`]));
    let fails = 3;
    recv.answer = () => (fails-- > 0 ? 500 : 204);
    w.d.start();
    const e = w.bus.publish(ev('job.completed'));
    await until('delivered after retries', () => (recv.received.some((h) => h.answered === 204) ? true : undefined), 15_000, 20);
    expect(recv.received.map((h) => h.answered)).toEqual([500, 500, 500, 204]);
    expect(new Set(recv.received.map((h) => h.eventId))).toEqual(new Set([e.id]));
    expect(new Set(recv.received.map((h) => h.deliveryId)).size).toBe(1);
    // the receiver records before it answers: wait for the worker to store the outcome
    const eps = parseWebhookUrls(recv.url('/flaky'), [`127.0.0.1:${recv.port}`]);
    const row = await until(
      'stored as delivered',
      () => (w.d.store.list(eps)[0]!.delivered === 1 ? w.d.store.list(eps)[0] : undefined),
      15_000,
      20,
    );
    expect(row).toMatchObject({ delivered: 1, pending: 0, dead: 0 });
    await w.close();
  });

  it('reports the backlog as sheet_archiver_webhook_backlog while a receiver fails', async () => {
    const w = open(parseWebhookUrls(recv.url('/metrics'), [`127.0.0.1:${recv.port}`]));
    const metrics = new ArchiverMetrics({ defaultMetrics: false });
    const gauges = new SqliteQueueGauges(w.queue.db);
    metrics.observeQueue({
      snapshot: (now) => gauges.snapshot(now),
      outboxSize: () => 0,
      pausedLanes: async () => [],
      webhookBacklog: () => w.d.backlog(),
    });
    const backlog = async () => sampleValue(parsePrometheusText((await metrics.render()).body), 'sheet_archiver_webhook_backlog');
    recv.answer = () => 500;
    w.d.start();
    w.bus.publish(ev('job.failed'));
    w.bus.publish(ev('job.completed'));
    await until('both tried', () => (new Set(recv.received.map((h) => h.eventId)).size === 2 ? true : undefined), 15_000, 20);
    expect(await backlog()).toBe(2);
    recv.answer = () => 200;
    await until('drained', async () => ((await backlog()) === 0 ? true : undefined), 15_000, 20);
    expect(recv.received.filter((h) => h.answered === 200)).toHaveLength(2);
    await w.close();
  });

  it('marks a delivery dead once retrying would pass the 24 h horizon (scaled)', async () => {
    const queue = new SqliteJobBackend(join(dir, `q${++n}.db`));
    const bus = new EventBus(new SqliteEventLog(queue.db));
    const eps = parseWebhookUrls(recv.url('/down'), [`127.0.0.1:${recv.port}`]);
    // scale 1e-6: 24 h is ~86 ms, the first waits a few ms
    const d = new WebhookDispatcher({
      endpoints: eps,
      secret: SECRET,
      allowedHosts: [`127.0.0.1:${recv.port}`],
      bus,
      log,
      retryScale: 1e-6,
    });
    recv.answer = () => 503;
    d.start();
    bus.publish(ev('job.failed'));
    await until('dead', () => (d.store.list(eps)[0]!.dead === 1 ? true : undefined), 15_000, 20);
    expect(recv.received.length).toBeGreaterThan(1);
    expect(d.store.list(eps)[0]).toMatchObject({ pending: 0, lastError: expect.stringContaining('HTTP 503') });
    await d.close();
    bus.closeAll();
    await queue.close();
  });

  it('a 410 disables the endpoint (persisted across a restart) until the endpoint list changes or enable()', async () => {
    const eps = parseWebhookUrls(recv.url('/gone'), [`127.0.0.1:${recv.port}`]);
    const w = open(eps);
    recv.answer = () => 410;
    w.d.start();
    w.bus.publish(ev('job.queued'));
    await until('disabled', () => (w.d.store.isDisabled(eps[0]!.id) ? true : undefined), 15_000, 20);
    w.bus.publish(ev('job.failed'));
    await new Promise((r) => setTimeout(r, 300));
    expect(recv.received).toHaveLength(1);
    await w.close();

    // same configuration after a restart: still disabled, nothing sent
    const again = open(eps, undefined, w.path);
    again.d.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(again.d.store.list(eps)[0]).toMatchObject({ disabledReason: expect.stringContaining('410') });
    expect(recv.received).toHaveLength(1);
    // the CLI's `webhooks enable`: the receiver is back and gets what waited
    recv.answer = () => 200;
    expect(again.d.store.enable()).toBe(1);
    again.d.kick();
    await until('resumed', () => (recv.received.filter((h) => h.answered === 200).length >= 1 ? true : undefined), 15_000, 20);
    await again.close();

    // a changed endpoint list enables it again too
    recv.answer = () => 410;
    const third = open(eps, undefined, w.path);
    third.d.start();
    third.bus.publish(ev('job.completed'));
    await until('disabled again', () => (third.d.store.isDisabled(eps[0]!.id) ? true : undefined), 15_000, 20);
    await third.close();
    const changed = parseWebhookUrls(`${recv.url('/gone')}|job.*`, [`127.0.0.1:${recv.port}`]);
    const fourth = open(changed, undefined, w.path);
    expect(fourth.d.store.isDisabled(changed[0]!.id)).toBe(false);
    await fourth.close();
  });

  it('an endpoint taken out of the list sends nothing more, and comes back with its backlog when listed again', async () => {
    const a = parseWebhookUrls(recv.url('/a'), [`127.0.0.1:${recv.port}`]);
    const b = parseWebhookUrls(recv.url('/b'), [`127.0.0.1:${recv.port}`]);
    recv.answer = () => 500;
    const w = open(a);
    w.d.start();
    w.bus.publish(ev('job.failed'));
    await until('tried', () => (recv.received.length ? true : undefined), 15_000, 20);
    await w.close();
    recv.received.length = 0;
    recv.answer = () => 200;
    const other = open(b, undefined, w.path);
    other.d.start();
    other.bus.publish(ev('job.completed'));
    await until('b delivered', () => (other.d.store.list(b)[0]!.delivered === 1 ? true : undefined), 15_000, 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(recv.received.map((h) => h.type)).toEqual(['job.completed']);
    expect(other.d.backlog()).toBe(0);
    await other.close();
    const back = open(a, undefined, w.path);
    back.d.start();
    await until('a delivered', () => (back.d.store.list(a)[0]!.delivered === 1 ? true : undefined), 15_000, 20);
    expect(recv.received.map((h) => h.type)).toEqual(['job.completed', 'job.failed']);
    await back.close();
  });

  it('two workers on one queue file send each delivery once (claims with a lease)', async () => {
    const eps = parseWebhookUrls(recv.url('/shared'), [`127.0.0.1:${recv.port}`]);
    const one = open(eps);
    const two = open(eps, undefined, one.path);
    one.d.start();
    two.d.start();
    const ids = Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).bus.publish(ev('job.queued', `r${i}`)).id);
    await until('all sent', () => (recv.received.length >= 20 ? true : undefined), 15_000, 20);
    await new Promise((r) => setTimeout(r, 500));
    expect(recv.received.map((h) => h.eventId).sort((a, b) => Number(a) - Number(b))).toEqual(ids);
    await one.close();
    await two.close();
  });

  it('refuses a URL whose name resolves to a loopback address when it is not allowed, and never connects', async () => {
    const eps = parseWebhookUrls(`http://localhost:${recv.port}/hook`, []);
    const w = open(eps, []);
    const before = recv.connections;
    w.d.start();
    w.bus.publish(ev('job.queued'));
    await until('dead', () => (w.d.store.list(eps)[0]!.dead === 1 ? true : undefined), 15_000, 20);
    expect(w.d.store.list(eps)[0]!.lastError).toMatch(
      /refused: blocked by archiver host guard: localhost:\d+ .*(port not allowed|non-public address)/,
    );
    expect(recv.connections).toBe(before);
    expect(recv.received).toHaveLength(0);
    await w.close();
  });
});
