/**
 * The sidebar (dist/sidebar.html, as HtmlService serves it) in Debian's Chromium, with
 * google.script.run bridged to the built add-on in a vm: read the status, dispatch, watch the
 * rows move to queued, then to completed when the "worker" writes into the model.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetModel, type SheetData } from '../support/sheetModel.js';
import { ensureAddonBuilt } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, REPO_ROOT, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { GOOGLE_SCRIPT_RUN_SHIM, startSidebarBridge, type SidebarBridge } from '../support/appsScript/sidebarBridge.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
// docs/images is refreshed only on request (`npm run docs:images`), so a test run never dirties the tree.
const DOC_IMAGES = join(REPO_ROOT, 'docs/images');
const UPDATE_DOC_IMAGES = process.env['UPDATE_DOC_IMAGES'] === '1';

let browser: Browser;
let worker: FakeWorker;
let addon: LoadedAddon;
let bridge: SidebarBridge;
let model: SheetModel;
let sheet: SheetData;
let page: Page;

beforeAll(async () => {
  await ensureAddonBuilt();
  await mkdir(ARTIFACTS, { recursive: true });
  worker = await startFakeWorker({ secret: SECRET, version: '0.1.0' });
  model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows: 12, tracking: true, driveEvery: 3 }) }]);
  sheet = model.sheet(SPREADSHEET_ID, 'People')!;
  const h = model.rowsOf(sheet)[0]!;
  const c = (n: string) => h.indexOf(n);
  for (const r of [1, 2, 3]) model.setCell(sheet, r, c('youtube_status'), 'completed');
  model.setCell(sheet, 1, c('drive_status'), 'completed');
  model.setCell(sheet, 4, c('youtube_status'), 'failed');
  model.setCell(sheet, 4, c('download_errors'), 'youtube#3 permission: Private video');
  addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID });
  addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
  bridge = await startSidebarBridge(addon);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 300, height: 1000 }, deviceScaleFactor: 1 });
  await context.addInitScript(GOOGLE_SCRIPT_RUN_SHIM);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await addon?.close();
  await worker?.close();
});

const count = (source: string, status: string) =>
  page.locator(`[data-source="${source}"] tr[data-status="${status}"] td`).innerText().then(Number);

async function shot(name: string, docName?: string): Promise<void> {
  const file = join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  if (docName) {
    // docs/addon.md shows the status and actions part only: a small PNG.
    const top = join(ARTIFACTS, `top-${docName}`);
    await page.screenshot({ path: top, clip: { x: 0, y: 0, width: 300, height: 900 } });
    if (UPDATE_DOC_IMAGES) {
      await mkdir(DOC_IMAGES, { recursive: true });
      await copyFile(top, join(DOC_IMAGES, docName));
    }
  }
}

describe('sidebar in Chromium', () => {
  it('shows the status, dispatches, and refreshes until the worker has finished', async () => {
    await page.goto(bridge.url);
    await expect.poll(() => page.locator('#status-summary').innerText()).toContain('12 rows have links.');
    expect(await count('youtube', 'completed')).toBe(3);
    expect(await count('youtube', 'failed')).toBe(1);
    expect(await count('youtube', 'pending')).toBe(8);
    expect(await count('drive', 'pending')).toBe(7);
    expect(await page.locator('#success').innerText()).toBe('Success rate: 80 % of finished jobs completed.');
    await expect.poll(() => page.locator('#attention li').first().innerText()).toContain('Row 5 · 104 · YouTube failed');
    expect(await page.locator('#attention').innerText()).toMatch(/#3 permission: Private video[\s\S]*private or gated/);
    expect(await page.locator('#secret').getAttribute('placeholder')).toBe('••••cdef');
    expect(await page.locator('#worker-url').inputValue()).toBe(worker.url);
    expect(await page.locator('#link-columns').innerText()).toBe('video, files');
    await shot('sidebar-status.png', 'sidebar-status.png');

    await page.getByRole('button', { name: 'Dispatch pending rows' }).click();
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/^Sent 10 rows to the worker \(15 jobs accepted\)\./);
    expect(await page.locator('#result').getAttribute('class')).toBe('result ok');
    await expect.poll(() => count('youtube', 'queued')).toBe(8);
    expect(await count('drive', 'queued')).toBe(7);
    expect(await page.locator('#status-summary').innerText()).toContain('Refreshing while rows are queued or downloading.');
    expect(await page.locator('#last-dispatch').innerText()).toMatch(/^Last dispatch: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: Sent 10 rows/);
    await shot('sidebar-after-dispatch.png', 'sidebar-after-dispatch.png');

    // The worker writes completed into the sheet (as its Sheets API write-back would).
    const h = model.rowsOf(sheet)[0]!;
    const rows = model.rowsOf(sheet);
    rows.forEach((row, i) => {
      if (i === 0) return;
      for (const col of ['youtube_status', 'drive_status']) if (row[h.indexOf(col)] === 'queued') model.setCell(sheet, i, h.indexOf(col), 'completed');
    });
    const refreshesBefore = bridge.calls.filter((c) => c === 'getSidebarState').length;
    await expect.poll(() => count('youtube', 'completed'), { timeout: 15_000, interval: 250 }).toBe(11);
    expect(bridge.calls.filter((c) => c === 'getSidebarState').length).toBeGreaterThan(refreshesBefore);
    expect(await count('drive', 'completed')).toBe(8);
    expect(await page.locator('#status-summary').innerText()).not.toContain('Refreshing');
    expect(await page.locator('#success').innerText()).toBe('Success rate: 95 % of finished jobs completed.');
    await shot('sidebar-completed.png', 'sidebar-completed.png');
  });

  it('Check worker shows the version; errors are shown plainly', async () => {
    await page.getByRole('button', { name: 'Check worker' }).click();
    await expect.poll(() => page.locator('#result').innerText()).toMatch(/^The worker is up: version 0\.1\.0, running for/);
    await page.locator('#secret').fill('short');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('#result').innerText()).toBe('The shared secret must be at least 16 characters.');
    expect(await page.locator('#result').getAttribute('class')).toBe('result error');
    await shot('sidebar-error.png');
  });

  it('is accessible at 300 px: labels, focus order, contrast, no horizontal scroll', async () => {
    const report = await page.evaluate(() => {
      const lum = (rgb: string) => {
        const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
          const c = Number(v) / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const bg = (el: Element | null): string => {
        for (; el; el = el.parentElement) {
          const c = getComputedStyle(el).backgroundColor;
          if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
        }
        return 'rgb(255, 255, 255)';
      };
      const contrast = (el: Element) => {
        const a = lum(getComputedStyle(el).color);
        const b = lum(bg(el));
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      };
      const texts = Array.from(document.querySelectorAll('h1, h2, h3, p, th, td, li, label, legend, button, .result')).filter((e) => (e as HTMLElement).innerText.trim());
      return {
        unlabelled: Array.from(document.querySelectorAll('input')).filter((i) => !(i as HTMLInputElement).labels?.length).map((i) => i.id),
        nameless: Array.from(document.querySelectorAll('button')).filter((b) => !b.textContent?.trim()).length,
        lowContrast: texts.filter((e) => contrast(e) < 4.5).map((e) => `${e.tagName}#${e.id}.${e.className}: ${contrast(e).toFixed(2)}`),
        scrollWidth: document.documentElement.scrollWidth,
        live: document.getElementById('result')?.getAttribute('role'),
      };
    });
    expect(report.unlabelled).toEqual([]);
    expect(report.nameless).toBe(0);
    expect(report.lowContrast).toEqual([]);
    expect(report.scrollWidth).toBeLessThanOrEqual(300);
    expect(report.live).toBe('status');

    await page.locator('body').click({ position: { x: 1, y: 1 } });
    const order: string[] = [];
    for (let i = 0; i < 9; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.id || ''));
    }
    expect(order).toEqual([
      'Refresh', 'Dispatch pending rows', 'Retry failed rows', 'Add tracking columns', 'Reset selected rows',
      'Validate sheet', 'Check worker', expect.stringMatching(/Schedule hourly dispatch|Stop schedule/), 'worker-url',
    ]);
  });
});
