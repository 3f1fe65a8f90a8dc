/**
 * The worker's health report in the sidebar (issue 11 item 2): a real `serve` behind an https
 * front (test/support/appsScript/tlsProxy.ts), real 404 jobs against the media host, the built
 * add-on in the vm fetching signed GET /v1/report through UrlFetchApp and caching it
 * (CacheService stand-in, services.ts), and the sidebar in Debian's Chromium showing the status
 * as text and colour with each alert's advice, above the sheet's own counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerReportView } from '../../appsscript/src/api.js';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { peopleRows, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, REPO_ROOT, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { GOOGLE_SCRIPT_RUN_SHIM, startSidebarBridge, type SidebarBridge } from '../support/appsScript/sidebarBridge.js';
import { startTlsProxy, type TlsProxy } from '../support/appsScript/tlsProxy.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'report-addon-secret-0123456789';
let dir: string;
let host: MediaHost;
let worker: ServeProcess;
let front: TlsProxy;
let addon: LoadedAddon;
let bridge: SidebarBridge;
let browser: Browser;
let clock = Date.now();
const reportFetches: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-report-addon-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 1 });
  worker = await startServe(
    workerEnv({
      secret: SECRET,
      dataDir: join(dir, 'data'),
      mediaHost: host.host,
      extra: { ARCHIVER_ALERT_MAX_YTDLP_AGE_DAYS: '100000', ARCHIVER_ALERT_MIN_DISK_GB: '0' },
    }),
  );
  const api = signedClient(worker.baseUrl, SECRET);
  const rows = ['x1', 'x2'];
  expect(
    (await api.request('POST', '/v1/dispatch', dispatchBody(rows.map((rowId) => ({ rowId, youtube: [`${host.notFoundUrl()}?${rowId}`] })))))
      .status,
  ).toBe(202);
  await until(
    'both jobs failed',
    async () => ((await api.request('GET', '/v1/jobs?status=failed')).body.jobs.length === 2 ? true : undefined),
    60_000,
    200,
  );
  front = await startTlsProxy(worker.baseUrl);
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows: 3, tracking: true }) }]);
  addon = loadAddon({
    model,
    spreadsheetId: SPREADSHEET_ID,
    distDir: await buildAddonFor(front.url),
    now: () => clock,
    onFetch: (reqs) => reqs.forEach((r) => r.url.includes('/v1/report') && reportFetches.push(r.url)),
  });
  addon.call('saveSettings', { workerUrl: front.url, secret: SECRET });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await addon?.close();
  await front?.close();
  await worker?.stop();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the worker's report in the add-on", () => {
  it('is fetched signed, trimmed to status, alerts and advice, and cached for a minute', () => {
    const view = addon.call('getWorkerReport') as WorkerReportView;
    expect(view).toMatchObject({ ok: true, status: 'critical', successRate: 0, pending: 0 });
    expect(view.alerts).toEqual([
      expect.objectContaining({ id: 'failure_rate', severity: 'critical', advice: expect.stringMatching(/fix the links/) }),
    ]);
    expect(reportFetches).toHaveLength(1);
    expect(addon.call('getWorkerReport')).toEqual(view);
    expect(reportFetches).toHaveLength(1);
    clock += 61_000;
    expect((addon.call('getWorkerReport') as WorkerReportView).status).toBe('critical');
    expect(reportFetches).toHaveLength(2);
  });

  it('says why there is no report when the secret is wrong', () => {
    addon.call('saveSettings', { workerUrl: front.url, secret: 'wrong-secret-0123456789abcdef' });
    clock += 61_000;
    const view = addon.call('getWorkerReport') as WorkerReportView;
    expect(view.ok).toBe(false);
    expect(view.status).toBeNull();
    expect(view.message).toMatch(/secret|signature|401/i);
    addon.call('saveSettings', { workerUrl: front.url, secret: SECRET });
    clock += 61_000;
  });

  it('shows in the sidebar above the counts: the status in words and colour, each alert with advice', async () => {
    bridge = await startSidebarBridge(addon);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 300, height: 1000 } });
    await context.addInitScript(GOOGLE_SCRIPT_RUN_SHIM);
    const page = await context.newPage();
    await page.goto(bridge.url);
    const status = page.locator('#worker-status');
    await expect
      .poll(() => status.innerText(), { timeout: 20_000 })
      .toMatch(/Critical: 0 % of jobs succeeded in the last 24 h, 0 open, 1 alert\./);
    expect(await status.getAttribute('class')).toBe('health critical');
    expect(await status.getAttribute('role')).toBe('status');
    // the colour repeats the word: red text, not the default
    expect(await status.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(140, 11, 11)');
    const alert = page.locator('#worker-alerts li[data-alert="failure_rate"]');
    expect(await alert.innerText()).toMatch(
      /Critical: 2 of the last 2 finished jobs failed[\s\S]*What to do: 100 % of jobs point at media that is gone or a wrong link: fix the links/,
    );
    // above the sheet's own counts
    const order = await page.evaluate(() => {
      const w = document.getElementById('worker-report')!;
      const s = document.getElementById('status-h')!;
      return w.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    expect(order).toBeTruthy();
    await expect.poll(() => page.locator('#status-summary').innerText()).toContain('rows have links');
    expect(bridge.calls.filter((c) => c === 'getWorkerReport')).toHaveLength(1);
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'sidebar-worker-report.png'), fullPage: true });
    await page.locator('#refresh').click();
    await expect.poll(() => bridge.calls.filter((c) => c === 'getWorkerReport').length).toBe(2);
  }, 60_000);
});
