/**
 * The operator dashboard in Debian's Chromium (issue 11 item 6, docs/dashboard.md): a real
 * `serve` with one job slot, real jobs against the local media host (real yt-dlp), the login link
 * `sheet-archiver dashboard` prints, and the page's live view, retry and cancel. Screenshots go
 * to test-artifacts/, and to docs/images/ with UPDATE_DOC_IMAGES=1 (`npm run docs:images`).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_ADVICE } from '../../shared/errors.js';
import { loginToken } from '../../worker/src/dashboard/login.js';
import { launchChromium } from '../support/chromium.js';
import { runCli, startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { until } from '../support/wait.js';

const SECRET = 'dashboard-e2e-secret-0123456789abcdef';
const ROOT = join(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOC_IMAGES = join(ROOT, 'docs/images');
const UPDATE_DOC_IMAGES = process.env['UPDATE_DOC_IMAGES'] === '1';

let host: MediaHost;
let worker: ServeProcess;
let dir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const cspErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-dashboard-'));
  await mkdir(ARTIFACTS, { recursive: true });
  // ~150 KB clips at 60 KB/s: a download takes a few seconds and reports progress on the way
  // retry delays at full scale: a 429 pauses its lane for seconds, long enough to see (last test)
  host = await startMediaHost({ clipCount: 2, clipSeconds: 2, clipKbps: 500, throttleBytesPerSec: 60_000, slowChunkBytes: 2048 });
  worker = await startServe(
    workerEnv({
      secret: SECRET,
      dataDir: join(dir, 'data'),
      mediaHost: host.host,
      extra: { ARCHIVER_CONCURRENCY: '1', ARCHIVER_RETRY_SCALE: '1' },
    }),
  );
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text()) && cspErrors.push(m.text()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const api = () => signedClient(worker.baseUrl, SECRET);

let nextRow = 2;
async function dispatch(rowId: string, link: string): Promise<string> {
  const res = await api().request('POST', '/v1/dispatch', dispatchBody([{ rowId, rowNumber: nextRow++, youtube: [link] }]));
  expect(res.status).toBe(202);
  return res.body.jobs[0].jobId;
}

const jobStatus = async (jobId: string) => (await api().request('GET', `/v1/jobs/${jobId}`)).body as { status: string; attempt: number };
const item = (jobId: string) => page.locator(`#running li[data-job-id="${jobId}"]`);
const count = (status: string) => page.locator(`#counts li[data-status="${status}"] .n`).innerText().then(Number);

/** The link `sheet-archiver dashboard` prints. */
async function printedLink(): Promise<string> {
  const r = await runCli(['dashboard', '--url', worker.baseUrl], { ARCHIVER_SECRET: SECRET, ARCHIVER_DATA: join(dir, 'cli') });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('within 15 minutes');
  return r.stdout.trim();
}

async function shot(p: Page, name: string): Promise<void> {
  const file = join(ARTIFACTS, name);
  await p.screenshot({ path: file, fullPage: true });
  if (UPDATE_DOC_IMAGES) await copyFile(file, join(DOC_IMAGES, name));
}

describe('dashboard in Chromium', () => {
  it('logs in through the signed link: the cookie is HttpOnly, SameSite=Strict, Path=/ui; the page loads under its CSP', async () => {
    const link = await printedLink();
    expect(link).toMatch(new RegExp(`^${worker.baseUrl}/ui/login\\?token=[0-9]+\\.[\\w-]+\\.[\\w-]+$`));
    const opened = page.waitForResponse((r) => r.url() === `${worker.baseUrl}/ui`);
    expect((await page.goto(link))!.status()).toBe(200); // the signed-in page, which opens /ui
    const res = await opened;
    await page.waitForURL(`${worker.baseUrl}/ui`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'sa_dashboard', httpOnly: true, sameSite: 'Strict', path: '/ui', secure: false });
    await expect.poll(() => page.locator('#live').innerText()).toBe('Live');
    expect(await page.locator('#health').innerText()).toMatch(/^Health: (healthy|warning|critical)$/);
    expect(await page.locator('#chart canvas').count()).toBe(1); // uPlot drew the trend
    // the script runs (no CSP refusals), and nothing on the page holds the secret
    expect(cspErrors).toEqual([]);
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: the script cannot read it
  });

  it('opens from a link on another site (mail, chat): the session cookie is SameSite=Strict, yet the first click is in', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    try {
      const link = await printedLink();
      // a page on another site holding the link, as a mail or chat client would (Playwright answers for it)
      await p.route('http://mail.example.test/**', (r) =>
        r.fulfill({ contentType: 'text/html', body: `<!doctype html><a id="open" href="${link}">Open the dashboard</a>` }),
      );
      await p.goto('http://mail.example.test/inbox');
      await p.click('#open');
      await p.waitForURL(`${worker.baseUrl}/ui`, { timeout: 10_000 });
      await expect.poll(() => p.locator('#live').innerText(), { timeout: 10_000 }).toBe('Live');
      expect(await p.locator('h1').first().innerText()).not.toMatch(/sign in/i);
    } finally {
      await other.close();
    }
  });

  it('refuses an expired, a forged and a reused link; without the session every /ui route is 401', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    try {
      const expired = await p.goto(`${worker.baseUrl}/ui/login?token=${loginToken(SECRET, Date.now() - 16 * 60_000).token}`);
      expect(expired!.status()).toBe(403);
      expect(await p.locator('body').innerText()).toContain('the link has expired');
      const forged = await p.goto(`${worker.baseUrl}/ui/login?token=${loginToken('someone-elses-secret-0123456').token}`);
      expect(forged!.status()).toBe(403);
      expect(await p.locator('body').innerText()).toContain('not signed by this worker');
      const link = await printedLink();
      expect((await p.goto(link))!.status()).toBe(200);
      const third = await browser.newContext();
      const reused = await (await third.newPage()).goto(link);
      expect(reused!.status()).toBe(403);
      await third.close();
      await other.clearCookies();
      for (const path of ['/ui', '/ui/api/overview', '/ui/api/events', '/ui/assets/dashboard.js'])
        expect((await p.goto(`${worker.baseUrl}${path}`))!.status(), path).toBe(401);
      expect(await other.cookies()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('shows a real job go from queued to completed live, and cancels the job ahead of it from the page', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    const completedBefore = await count('completed');
    // the one job slot is taken by a download that never ends
    const slow = await dispatch('dash-slow', host.slowUrl());
    await until('the slow job running', async () => ((await jobStatus(slow)).status === 'downloading' ? true : undefined));
    const job = await dispatch('dash-1', host.clipUrl('clip01'));
    await expect.poll(() => item(job).getAttribute('data-status')).toBe('queued');
    expect(await item(job).locator('label').innerText()).toMatch(/^Row \d+ · dash-1 · YouTube$/);
    await expect.poll(() => item(slow).getAttribute('data-status')).toBe('downloading');
    await expect.poll(() => count('queued')).toBeGreaterThanOrEqual(1);

    await page.getByRole('button', { name: /^Cancel Row \d+ · dash-slow · YouTube$/ }).click();
    await expect.poll(() => page.locator('#action-result').innerText()).toMatch(/^Cancelled j_\w+: now cancelled\.$/);
    await expect.poll(() => item(job).getAttribute('data-status'), { timeout: 30_000 }).toBe('downloading');
    // the bar moves with job.progress events
    await expect
      .poll(async () => Number(await item(job).locator('progress').getAttribute('value')), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => item(job).count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => count('completed')).toBe(completedBefore + 1);
    expect((await jobStatus(job)).status).toBe('completed');
    expect((await jobStatus(slow)).status).toBe('cancelled');
    // all of it without reloading the page
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  it('lists a failed row with its category and advice; its Retry button re-queues it', async () => {
    const job = await dispatch('dash-404', host.url('/missing.mp4'));
    await until('the job failed', async () => ((await jobStatus(job)).status === 'failed' ? true : undefined), 60_000);
    const row = page.locator(`#failing tr[data-job-id="${job}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('.category').innerText()).toBe('not_found');
    // 1 failed of 2 finished is over the 20 % threshold: the alert shows with its advice, status critical
    const alert = page.locator('#alerts li[data-alert="failure_rate"]');
    await expect.poll(() => alert.count()).toBe(1);
    expect(await alert.innerText()).toMatch(/^Critical: .*failed[\s\S]*fix the links in the sheet/);
    expect(await page.locator('#health').innerText()).toBe('Health: critical');
    expect(await row.locator('.advice').innerText()).toBe(ERROR_ADVICE.not_found);
    const failedBefore = await count('failed');
    expect(failedBefore).toBeGreaterThanOrEqual(1);

    await row.getByRole('button', { name: /^Retry Row \d+ · dash-404 · YouTube$/ }).click();
    await expect.poll(() => page.locator('#action-result').innerText()).toMatch(new RegExp(`^Retried ${job}: now queued\\.$`));
    const after = await jobStatus(job);
    expect(after.attempt).toBe(2);
    // it runs again (and, the link still missing, fails again on attempt 2)
    await until('attempt 2 finished', async () => ((await jobStatus(job)).status === 'failed' ? true : undefined), 60_000);
    await expect.poll(() => row.count()).toBe(1);
  });

  it('refuses a forged retry without the CSRF token, and one from another origin, with 403', async () => {
    const failed = (await api().request('GET', '/v1/jobs?status=failed')).body.jobs[0].jobId as string;
    // from the page itself, with its session cookie but without the token
    const noToken = await page.evaluate(async (id) => (await fetch(`/ui/api/jobs/${id}/retry`, { method: 'POST' })).status, failed);
    expect(noToken).toBe(403);
    // the right token but another Origin (the cookie copied into a script elsewhere)
    const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    const [cookie] = await context.cookies();
    const evil = await fetch(`${worker.baseUrl}/ui/api/jobs/${failed}/retry`, {
      method: 'POST',
      headers: { cookie: `${cookie!.name}=${cookie!.value}`, 'x-csrf-token': csrf!, origin: 'http://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect((await evil.json()).message).toContain('Origin');
    expect((await jobStatus(failed)).status).toBe('failed');
  });

  it('is keyboard-usable with visible focus, has ≥ 4.5:1 contrast, and fits 360 px without horizontal scrolling', async () => {
    // a running job, so the progress bar is on the screenshots
    const slow = await dispatch('dash-shot', host.slowUrl());
    await expect.poll(() => item(slow).getAttribute('data-status'), { timeout: 30_000 }).toBe('downloading');
    await page.reload();
    await expect.poll(() => item(slow).count()).toBe(1);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the jobs');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('logout');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Cancel Row \d+ · dash-shot/);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    // every progress bar and button has a name
    expect(await page.locator('progress:not([id])').count()).toBe(0);
    for (const id of await page.locator('progress').evaluateAll((ps) => ps.map((p) => p.id)))
      expect(await page.locator(`label[for="${id}"]`).count()).toBe(1);
    expect(await page.locator('[aria-live]').count()).toBeGreaterThanOrEqual(2);
    expect(await lowContrast(page)).toEqual([]);
    await shot(page, 'dashboard-desktop.png');

    const phone = await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 1 });
    try {
      const p = await phone.newPage();
      await p.goto(await printedLink());
      await p.waitForURL(`${worker.baseUrl}/ui`);
      await expect.poll(() => p.locator(`#running li[data-job-id="${slow}"]`).count()).toBe(1);
      await expect.poll(() => p.locator('#live').innerText()).toBe('Live');
      const widths = await p.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      expect(await lowContrast(p)).toEqual([]);
      await shot(p, 'dashboard-360.png');
    } finally {
      await phone.close();
    }
    await api().request('POST', `/v1/jobs/${slow}/cancel`);
  });

  it('shows a lane paused by a rate limit, until when, and the jobs waiting in it', async () => {
    const job = await dispatch('dash-429', host.url('/ratelimited.mp4'));
    const lane = page.locator('#lanes li').first();
    await expect.poll(() => lane.count(), { timeout: 30_000 }).toBe(1);
    expect(await lane.innerText()).toMatch(/^127\.0\.0\.1:\d+: paused until \d\d:\d\d UTC, 1 job\(s\) waiting$/);
    expect(await page.locator('#lanes-empty').isHidden()).toBe(true);
    await expect.poll(() => item(job).getAttribute('data-status')).toBe('retrying');
    await page.getByRole('button', { name: /^Cancel Row \d+ · dash-429 · YouTube$/ }).click();
    // the pause protects the host, not the job: it stays until its retry time (docs/design.md §4)
    await expect.poll(() => lane.innerText(), { timeout: 30_000 }).toMatch(/paused until \d\d:\d\d UTC, 0 job\(s\) waiting$/);
    expect((await jobStatus(job)).status).toBe('cancelled');
  });
});

/**
 * Text whose contrast with its background is below 4.5:1 (WCAG 2.2 relative luminance), as
 * "selector-ish: ratio". Backgrounds are the nearest opaque ancestor's.
 */
function lowContrast(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const c = [r!, g!, b!].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
    };
    const bg = (e: Element | null): number[] => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.99)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement!;
      if (!n.textContent?.trim() || !e.checkVisibility() || e.closest('.sr-only, .skip')) continue;
      const a = lum(rgb(getComputedStyle(e).color));
      const b = lum(bg(e));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`${e.tagName.toLowerCase()}.${e.className} "${n.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
    }
    return bad;
  });
}
