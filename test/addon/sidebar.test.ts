/**
 * The sidebar (dist/sidebar.html, as HtmlService serves it) in Debian's Chromium, with
 * google.script.run bridged to the built add-on in a vm: read the status, dispatch, watch the
 * rows move to queued, then to completed when the "worker" writes into the model.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSignature } from '../../worker/src/server/contentLinks.js';
import { SheetModel, type SheetData } from '../support/sheetModel.js';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
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
let dist: string;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  worker = await startFakeWorker({ secret: SECRET, version: '0.1.0' });
  dist = await buildAddonFor(worker.url);
  model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows: 12, tracking: true, driveEvery: 3 }) }]);
  sheet = model.sheet(SPREADSHEET_ID, 'People')!;
  const h = model.rowsOf(sheet)[0]!;
  const c = (n: string) => h.indexOf(n);
  for (const r of [1, 2, 3]) model.setCell(sheet, r, c('youtube_status'), 'completed');
  model.setCell(sheet, 1, c('drive_status'), 'completed');
  model.setCell(sheet, 4, c('youtube_status'), 'failed');
  model.setCell(sheet, 4, c('download_errors'), 'youtube#3 permission: Private video');
  addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist });
  addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
  bridge = await startSidebarBridge(addon);
  browser = await launchChromium();
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
      for (const col of ['youtube_status', 'drive_status'])
        if (row[h.indexOf(col)] === 'queued') model.setCell(sheet, i, h.indexOf(col), 'completed');
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
      const texts = Array.from(document.querySelectorAll('h1, h2, h3, p, th, td, li, label, legend, button, .result')).filter((e) =>
        (e as HTMLElement).innerText.trim(),
      );
      return {
        unlabelled: Array.from(document.querySelectorAll('input'))
          .filter((i) => !(i as HTMLInputElement).labels?.length)
          .map((i) => i.id),
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
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.textContent?.trim() || document.activeElement?.id || ''));
    }
    expect(order).toEqual([
      'Refresh',
      'Dispatch pending rows',
      'Retry failed rows',
      'Add tracking columns',
      'Reset selected rows',
      'Validate sheet',
      'Check worker',
      expect.stringMatching(/Schedule hourly dispatch|Stop schedule/),
      // row 5 (104) still needs attention: its "Files" button, then the per-row panel
      'Files',
      'panel-row-id',
      'Show files',
      'worker-url',
    ]);
  });

  it("opens a row's archived files on demand: signed calls to the worker, links opening in a new tab", async () => {
    const asset = (assetId: string, kind: string, fileName: string, size: number) => ({
      assetId,
      kind,
      fileName,
      size,
      source: 'youtube',
      mediaId: 'vid104',
    });
    await worker.setPeople({
      '104': {
        person: { rowId: '104', spreadsheetId: SPREADSHEET_ID },
        sources: {
          youtube: [
            {
              mediaId: 'vid104',
              title: 'Talk of 104',
              link: 'https://www.youtube.com/watch?v=vid104',
              assets: [
                asset('a_01', 'video', 'vid104 Ñandú.mp4', 3 * 1024 * 1024),
                asset('a_02', 'metadata', 'metadata.json', 900),
                asset('a_03', 'subtitles', 'vid104.en.vtt', 300),
              ],
            },
          ],
          drive: [],
        },
      },
    });
    await worker.reset();
    const panelCalls = async () => (await worker.requests()).filter((r) => /\/v1\/(people|assets)\//.test(r.path));
    // nothing is asked of the worker until a panel is opened (UrlFetch quota)
    expect(await panelCalls()).toEqual([]);

    await page.locator('#attention button[data-row-id="104"]').click();
    await expect.poll(() => page.locator('#panel-files a').count()).toBe(2);
    expect(await page.locator('#panel-message').innerText()).toMatch(/^2 archived files for row 104\. Links work until \d{2}:\d{2} UTC\.$/);
    const links = await page.locator('#panel-files a').evaluateAll((as) =>
      as.map((a) => ({
        text: a.textContent,
        href: a.getAttribute('href')!,
        target: a.getAttribute('target'),
        rel: a.getAttribute('rel'),
      })),
    );
    expect(links.map((l) => l.text)).toEqual(['vid104 Ñandú.mp4', 'vid104.en.vtt']);
    for (const [i, l] of links.entries()) {
      expect(l.target).toBe('_blank');
      expect(l.rel).toBe('noopener noreferrer');
      // the add-on's worker URL, not the origin the worker saw, with the link's path and signature
      const m = /^(https:\/\/[^/]+)(\/v1\/assets\/a_0[13]\/content)\?expires=(\d+)&sig=([0-9a-f]{64})$/.exec(l.href)!;
      expect(m, l.href).not.toBeNull();
      expect(m[1]).toBe(worker.url);
      expect(m[2]).toBe(`/v1/assets/${i === 0 ? 'a_01' : 'a_03'}/content`);
      expect(m[4]).toBe(linkSignature(SECRET, 'GET', m[2]!, Number(m[3])));
    }
    expect(await page.locator('#panel-files li').first().innerText()).toContain('video · 3.0 MB · Talk of 104');
    const calls = await panelCalls();
    expect(calls.map((c) => `${c.method} ${c.path} ${c.signatureOk}`)).toEqual([
      `GET /v1/people/104?spreadsheetId=${SPREADSHEET_ID} true`,
      'POST /v1/assets/a_01/link true',
      'POST /v1/assets/a_03/link true',
    ]);
    await shot('sidebar-archived-files.png');

    // a row with nothing archived, typed in the panel
    await page.locator('#panel-row-id').fill('no such/row');
    await page.getByRole('button', { name: 'Show files' }).click();
    await expect.poll(() => page.locator('#panel-message').innerText()).toBe('Nothing is archived for row no such/row yet.');
    expect(await page.locator('#panel-files li').count()).toBe(0);
    expect((await panelCalls()).at(-1)!.path).toBe(`/v1/people/no%20such%2Frow?spreadsheetId=${SPREADSHEET_ID}`);
  });
});

/** A second sidebar on its own sheet, in a page whose clock playwright controls (page.clock). */
async function openSidebar(rows: (string | number | boolean)[][]) {
  const m = new SheetModel();
  m.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows }]);
  const sh = m.sheet(SPREADSHEET_ID, 'People')!;
  const a = loadAddon({ model: m, spreadsheetId: SPREADSHEET_ID, distDir: dist });
  a.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
  const b = await startSidebarBridge(a);
  const context = await browser.newContext({ viewport: { width: 300, height: 1000 }, deviceScaleFactor: 1 });
  await context.addInitScript(GOOGLE_SCRIPT_RUN_SHIM);
  const p = await context.newPage();
  await p.clock.install({ time: Date.now() });
  const polls = () => b.calls.filter((c) => c === 'pollStatus').length;
  return {
    model: m,
    sheet: sh,
    addon: a,
    bridge: b,
    page: p,
    polls,
    col: (name: string) => m.rowsOf(sh)[0]!.indexOf(name),
    async close() {
      await context.close();
      await b.close();
      await a.close();
    },
  };
}

describe('live updates (fake clock)', () => {
  it('back off 4 → 8 → 16 → 32 → 60 s while nothing changes, return to 4 s on a change, stop after 30 minutes with "Resume live updates"', async () => {
    const rows = peopleRows({ rows: 3, tracking: true });
    const sb = await openSidebar(rows);
    try {
      const { page: p } = sb;
      sb.model.setCell(sb.sheet, 1, sb.col('youtube_status'), 'queued');
      await p.goto(sb.bridge.url);
      const live = p.locator('#live-text');
      await expect.poll(() => live.innerText()).toBe('Live updates: next check in 4 s.');
      const seen: number[] = [];
      const step = async (ms: number, expectNext: string) => {
        const before = sb.polls();
        await p.clock.runFor(ms);
        await expect.poll(() => sb.polls()).toBe(before + 1);
        await expect.poll(() => live.innerText()).toBe(expectNext);
        seen.push(ms);
      };
      await step(4_000, 'Live updates: next check in 8 s.');
      await step(8_000, 'Live updates: next check in 16 s.');
      // Nothing is polled before the wait is over.
      const before = sb.polls();
      await p.clock.runFor(15_000);
      expect(sb.polls()).toBe(before);
      await step(1_000, 'Live updates: next check in 32 s.');

      // The worker starts downloading row 3: the next poll sees a change and goes back to 4 s.
      sb.model.setCell(sb.sheet, 2, sb.col('drive_status'), 'downloading');
      await step(32_000, 'Live updates: next check in 4 s.');
      await expect.poll(() => count2(p, 'drive', 'downloading')).toBe(1);
      expect(sb.bridge.calls.filter((c) => c === 'getSidebarState')).toHaveLength(1); // live updates read no full state

      await step(4_000, 'Live updates: next check in 8 s.');
      await step(8_000, 'Live updates: next check in 16 s.');
      await step(16_000, 'Live updates: next check in 32 s.');
      await step(32_000, 'Live updates: next check in 60 s.');
      await step(60_000, 'Live updates: next check in 60 s.');
      // 30 minutes after that change: 4+8+16+32+60 = 120 s gone; 28 more minutes of 60 s polls.
      for (let i = 0; i < 27; i++) await step(60_000, 'Live updates: next check in 60 s.');
      const last = sb.polls();
      await p.clock.runFor(60_000);
      await expect.poll(() => sb.polls()).toBe(last + 1);
      await expect.poll(() => live.innerText()).toBe('Live updates stopped: nothing changed for 30 minutes.');
      const resume = p.getByRole('button', { name: 'Resume live updates' });
      await expect.poll(() => resume.isVisible()).toBe(true);
      await p.clock.runFor(10 * 60_000);
      expect(sb.polls()).toBe(last + 1); // stopped means stopped
      await p.screenshot({ path: join(ARTIFACTS, 'sidebar-live-stopped.png'), fullPage: true });

      await resume.click();
      await expect.poll(() => live.innerText()).toBe('Live updates: next check in 4 s.');
      expect(await resume.isVisible()).toBe(false);
      await step(4_000, 'Live updates: next check in 8 s.');
    } finally {
      await sb.close();
    }
  });

  it('a failed poll pauses live updates visibly, with the error and a way to resume', async () => {
    const sb = await openSidebar(peopleRows({ rows: 2, tracking: true }));
    try {
      const { page: p } = sb;
      sb.model.setCell(sb.sheet, 1, sb.col('youtube_status'), 'queued');
      await p.goto(sb.bridge.url);
      await expect.poll(() => p.locator('#live-text').innerText()).toBe('Live updates: next check in 4 s.');
      // The user removes the add-on's access to the spreadsheet meanwhile.
      const granted = [...sb.addon.env.grantedScopes];
      sb.addon.setGrantedScopes(granted.filter((x) => !/spreadsheets/.test(x)));
      await p.clock.runFor(4_000);
      const alert = p.getByRole('alert');
      await expect
        .poll(() => alert.innerText())
        .toMatch(
          /^Live updates paused: Sheet Archiver needs the permission “View and manage spreadsheets that this application has been installed in” to read this spreadsheet/,
        );
      expect(await p.locator('#live').getAttribute('class')).toBe('live error');
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(300); // the long URL wraps
      const polls = sb.polls();
      await p.clock.runFor(5 * 60_000);
      expect(sb.polls()).toBe(polls);
      await p.screenshot({ path: join(ARTIFACTS, 'sidebar-live-paused.png'), fullPage: true });

      sb.addon.setGrantedScopes(granted);
      await p.getByRole('button', { name: 'Resume live updates' }).click();
      await expect.poll(() => p.locator('#live-text').innerText()).toBe('Live updates: next check in 4 s.');
    } finally {
      await sb.close();
    }
  });
});

describe('sheet problems panel', () => {
  it('lists archive_options bad tokens with row and row_id, and stays readable at 300 px', async () => {
    const rows = peopleRows({ rows: 3, tracking: true });
    rows[0]!.splice(4, 0, 'archive_options');
    rows[1]!.splice(4, 0, 'mode=audio');
    rows[2]!.splice(4, 0, 'max_height=99999 colour=red');
    rows[3]!.splice(4, 0, '');
    const sb = await openSidebar(rows);
    try {
      const { page: p } = sb;
      await p.goto(sb.bridge.url);
      const list = p.locator('#issues li');
      await expect.poll(() => list.count()).toBe(2);
      expect(await p.locator('#issues-count').innerText()).toBe('(2)');
      expect(await list.nth(0).innerText()).toBe(
        'Row 3 · 102 · archive_options "max_height=99999": max_height must be between 144 and 4320',
      );
      expect(await list.nth(1).innerText()).toBe(
        'Row 3 · 102 · archive_options "colour=red": unknown key "colour" (known: mode, max_height, subs, comments)',
      );
      expect(await list.nth(0).getAttribute('data-kind')).toBe('bad_options');
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(300);
      await p.screenshot({ path: join(ARTIFACTS, 'sidebar-problems.png'), fullPage: true });
    } finally {
      await sb.close();
    }
  });
});

function count2(p: Page, source: string, status: string): Promise<number> {
  return p.locator(`[data-source="${source}"] tr[data-status="${status}"] td`).innerText().then(Number);
}
