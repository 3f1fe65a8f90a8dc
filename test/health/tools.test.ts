/**
 * Tool health in `doctor` and GET /readyz: yt-dlp's version and age (a stand-in reports chosen
 * versions), the JS runtime, the cookies file (never its path or contents), plugins, and
 * `doctor --probe` against the local media host with the real yt-dlp.
 */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCookies, checkJsRuntime, checkPlugins, checkYtDlpTool } from '../../worker/src/health/tools.js';
import { parseJsRuntime } from '../../worker/src/tools/jsRuntime.js';
import { runCli, startServe, workerEnv } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { makeYtDlpStandIn } from '../support/ytdlpStandIn.js';

const COOKIE_VALUE = 'very-secret-cookie-value-42';
const COOKIES = `# Netscape HTTP Cookie File\n.youtube.com\tTRUE\t/\tTRUE\t2145916800\tSID\t${COOKIE_VALUE}\n`;

function cookiesFile(daysOld = 0): string {
  const p = join(mkdtempSync(join(tmpdir(), 'sa-health-')), 'ana-private-cookies.txt');
  writeFileSync(p, COOKIES);
  const t = Date.now() / 1000 - daysOld * 86400 - 60;
  utimesSync(p, t, t);
  return p;
}

const dateDaysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '.');
const base = {
  YTDLP_JS_RUNTIME: parseJsRuntime(undefined),
  YTDLP_PLUGIN_DIRS: [] as string[],
  YTDLP_COOKIES: undefined as string | undefined,
};
const envWith = (ytdlp: string) => ({ PATH: process.env['PATH'], YTDLP_PATH: ytdlp });

describe('tool checks', () => {
  it('yt-dlp: version, age in days and where it was found; a warning past 60 days', async () => {
    const fresh = makeYtDlpStandIn(dateDaysAgo(10));
    const r = await checkYtDlpTool(envWith(fresh.path));
    expect(r).toMatchObject({ ok: true, detail: `${dateDaysAgo(10)}, 10 days old (YTDLP_PATH)` });
    expect(r.warning).toBeUndefined();

    const old = await checkYtDlpTool(envWith(makeYtDlpStandIn(dateDaysAgo(61)).path));
    expect(old.ok).toBe(true);
    expect(old.warning).toMatch(/older than 60 days.*update-tools/);

    expect(await checkYtDlpTool({ PATH: '', YTDLP_PATH: '/nonexistent/yt-dlp' })).toMatchObject({
      ok: false,
      detail: 'not found',
    });
  });

  it('JS runtime: Deno from node_modules, and whether this yt-dlp can use it', async () => {
    const newer = await checkJsRuntime(base, envWith(makeYtDlpStandIn('2025.11.12').path));
    expect(newer).toMatchObject({ ok: true });
    expect(newer.detail).toMatch(/^deno 2\.\d+\.\d+ \(node_modules\)$/);
    expect(newer.warning).toBeUndefined();

    const older = await checkJsRuntime(base, envWith(makeYtDlpStandIn('2023.03.04').path));
    expect(older.warning).toMatch(/not used: yt-dlp 2023\.03\.04 predates --js-runtimes \(2025\.11\.12\)/);

    const bun = await checkJsRuntime({ ...base, YTDLP_JS_RUNTIME: parseJsRuntime('bun') }, { PATH: '/nonexistent' });
    expect(bun).toMatchObject({ ok: true, detail: 'bun not found' });
    expect(bun.warning).toMatch(/install bun/);
    const node = await checkJsRuntime({ ...base, YTDLP_JS_RUNTIME: parseJsRuntime('node') }, envWith(makeYtDlpStandIn('2025.11.12').path));
    expect(node.detail).toMatch(/^node \d+\.\d+\.\d+/);
  });

  it('cookies: set or not and the age, never the path or the contents', async () => {
    expect(await checkCookies({ ...base, YTDLP_COOKIES: undefined })).toMatchObject({
      ok: true,
      detail: 'not set (YTDLP_COOKIES)',
    });
    const path = cookiesFile(3);
    const r = await checkCookies({ ...base, YTDLP_COOKIES: path });
    expect(r).toMatchObject({ ok: true, detail: 'set, 3 days old, 1 YouTube/Google cookies' });
    const missing = await checkCookies({ ...base, YTDLP_COOKIES: '/nonexistent/ana-private-cookies.txt' });
    expect(missing).toMatchObject({ ok: false, detail: 'set, but the file cannot be read (ENOENT)' });
    const notNetscape = join(mkdtempSync(join(tmpdir(), 'sa-health-')), 'ana-private-cookies.txt');
    writeFileSync(notNetscape, `{"SID":"${COOKIE_VALUE}"}`);
    expect(await checkCookies({ ...base, YTDLP_COOKIES: notNetscape })).toMatchObject({
      ok: false,
      detail: 'set, 0 days old, not a Netscape cookies file',
    });
    for (const x of [r, missing]) {
      expect(JSON.stringify(x)).not.toContain('ana-private-cookies');
      expect(JSON.stringify(x)).not.toContain(COOKIE_VALUE);
    }
  });

  it('plugins: the packages in YTDLP_PLUGIN_DIRS, and a warning when this yt-dlp cannot load them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-plugins-'));
    mkdirSync(join(dir, 'bgutil-ytdlp-pot-provider', 'yt_dlp_plugins', 'extractor'), { recursive: true });
    writeFileSync(join(dir, 'other-plugin.zip'), 'PK');
    const e = { ...base, YTDLP_PLUGIN_DIRS: [dir] };
    const r = await checkPlugins(e, envWith(makeYtDlpStandIn('2025.11.12').path));
    expect(r).toMatchObject({ ok: true, detail: 'bgutil-ytdlp-pot-provider, other-plugin.zip' });
    expect(r.warning).toBeUndefined();
    expect((await checkPlugins(e, envWith(makeYtDlpStandIn('2024.08.06').path))).warning).toMatch(
      /predates --plugin-dirs \(2024\.10\.22\)/,
    );
    expect(
      await checkPlugins({ ...base, YTDLP_PLUGIN_DIRS: ['/nonexistent'] }, envWith(makeYtDlpStandIn('2025.11.12').path)),
    ).toMatchObject({ ok: false });
    expect(await checkPlugins(base)).toMatchObject({ ok: true, detail: 'none (YTDLP_PLUGIN_DIRS not set)' });
  });
});

describe('doctor and /readyz', () => {
  let host: MediaHost;
  beforeAll(async () => {
    host = await startMediaHost({ clipCount: 1, playlistSize: 1 });
  });
  afterAll(async () => host?.close());

  it('/readyz reports the tools and the cookies age, and neither it nor the log shows the cookies path or contents', async () => {
    const path = cookiesFile(2);
    const dataDir = mkdtempSync(join(tmpdir(), 'sa-readyz-'));
    const serve = await startServe(
      workerEnv({ secret: 'x'.repeat(32), dataDir, mediaHost: host.host, extra: { YTDLP_COOKIES: path, LOG_LEVEL: 'debug' } }),
    );
    try {
      const res = await fetch(`${serve.baseUrl}/readyz`);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const body = JSON.parse(text) as { checks: Record<string, { ok: boolean; detail: string; warning?: string }> };
      expect(body.checks['cookies']).toMatchObject({ ok: true, detail: 'set, 2 days old, 1 YouTube/Google cookies' });
      expect(body.checks['js runtime']?.detail).toMatch(/^deno /);
      expect(body.checks['yt-dlp']?.detail).toMatch(/^\d{4}\.\d{2}\.\d{2}, \d+ days old \((PATH|tools dir)\)$/);
      expect(body.checks['plugins']).toMatchObject({ ok: true });
      expect(text).not.toContain('ana-private-cookies');
      expect(text).not.toContain(COOKIE_VALUE);
      expect(text).not.toContain(tmpdir());
    } finally {
      await serve.stop();
    }
    expect(serve.stderr().length).toBeGreaterThan(0);
    expect(serve.stderr()).not.toContain('ana-private-cookies');
    expect(serve.stderr()).not.toContain(COOKIE_VALUE);
  });

  it('doctor --json lists the tool checks without the cookies path', async () => {
    const path = cookiesFile(1);
    const r = await runCli(['doctor', '--json'], {
      ARCHIVER_DATA: mkdtempSync(join(tmpdir(), 'sa-doctor-')),
      YTDLP_COOKIES: path,
    });
    const doc = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    expect(doc.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['yt-dlp', 'js runtime', 'cookies', 'plugins', 'ffmpeg']));
    expect(doc.checks.find((c) => c.name === 'cookies')).toMatchObject({
      ok: true,
      detail: 'set, 1 days old, 1 YouTube/Google cookies',
    });
    expect(r.stdout + r.stderr).not.toContain('ana-private-cookies');
    expect(r.stdout + r.stderr).not.toContain(COOKIE_VALUE);
  });

  it('doctor --probe fetches a link through the host guard and classifies the outcome', async () => {
    const env = { ARCHIVER_DATA: mkdtempSync(join(tmpdir(), 'sa-doctor-')) };
    const ok = await runCli(['doctor', '--json', '--probe', host.pageUrl('clip01'), '--allow-host', host.host], env);
    const good = JSON.parse(ok.stdout) as { probe: { ok: boolean; id: string; extractor: string; mediaFormats: number } };
    expect(good.probe, ok.stdout).toMatchObject({ ok: true, id: 'clip01-1', mediaFormats: 1 });
    expect(good.probe.extractor).toMatch(/generic|html5/i);

    const missing = await runCli(['doctor', '--json', '--probe', host.notFoundUrl('html'), '--allow-host', host.host], env);
    expect(missing.code).toBe(1);
    const nf = JSON.parse(missing.stdout) as { ok: boolean; probe: { ok: boolean; category: string; message: string } };
    expect(nf.probe).toMatchObject({ ok: false, category: 'not_found' });
    expect(nf.probe.message).toMatch(/404/);

    // not allowed: refused before anything runs
    const refused = await runCli(['doctor', '--probe', host.pageUrl('clip01')], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/probe\s+✘\s+validation/);
  });
});
