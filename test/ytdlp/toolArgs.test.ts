/**
 * The tool arguments (JS runtime, cookies, plugins, YTDLP_EXTRA_ARGS) on real archive runs: the
 * real yt-dlp and ffmpeg on media served from 127.0.0.1, behind a stand-in that reports a chosen
 * version (test/support/ytdlpStandIn.ts), so that what a current yt-dlp is given can be checked
 * on Debian's 2023.03.04.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresOfHelp, featuresOfVersion, releaseAgeDays } from '../../worker/src/sources/ytdlp/features.js';
import { createYtDlpSource, findYtDlp } from '../../worker/src/sources/ytdlp/index.js';
import { pythonOf } from '../../worker/src/sources/ytdlp/pool.js';
import {
  DEFAULT_TOOL_CONFIG,
  insertToolArgs,
  mergeExtractorArgs,
  redactArgs,
  type YtDlpToolConfig,
} from '../../worker/src/sources/ytdlp/toolArgs.js';
import { denoFromNodeModules, parseJsRuntime } from '../../worker/src/tools/jsRuntime.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { makeYtDlpStandIn } from '../support/ytdlpStandIn.js';
import { makeCtx } from './helpers.js';

let host: MediaHost;
beforeAll(async () => {
  host = await startMediaHost({ clipCount: 2, playlistSize: 2 });
});
afterAll(async () => host?.close());

const COOKIES = `# Netscape HTTP Cookie File
.youtube.com\tTRUE\t/\tTRUE\t2145916800\tSID\tsecret-sid-value-0123456789
.youtube.com\tTRUE\t/\tTRUE\t2145916800\tLOGIN_INFO\tsecret-login-info-abcdef
`;

function cookiesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sa-cookies-'));
  const p = join(dir, 'my-private-cookies.txt');
  writeFileSync(p, COOKIES);
  return p;
}

/** A debug-level logger whose lines are kept. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'trace' }, stream), lines };
}

async function archiveWith(binary: string, toolConfig: YtDlpToolConfig) {
  const t = makeCtx();
  const cap = capturingLogger();
  t.ctx.log = cap.log;
  const r = await createYtDlpSource({ allowedHosts: [host.host], ytdlpPath: binary, toolConfig, socketTimeoutS: 10 }).archive(
    host.pageUrl('clip01'),
    t.ctx,
  );
  return { r, t, lines: cap.lines };
}

const valueAfter = (argv: string[], opt: string) => argv.filter((_, i) => argv[i - 1] === opt);

describe('yt-dlp feature detection', () => {
  it('reads the release date of the version, and --help when the version is not a date', () => {
    expect(featuresOfVersion('2023.03.04')).toEqual({ jsRuntimes: false, pluginDirs: false });
    expect(featuresOfVersion('2024.10.22')).toEqual({ jsRuntimes: false, pluginDirs: true });
    expect(featuresOfVersion('2025.11.12')).toEqual({ jsRuntimes: true, pluginDirs: true });
    expect(featuresOfVersion('2025.11.11.231500')).toEqual({ jsRuntimes: false, pluginDirs: true });
    expect(featuresOfVersion('custom')).toBeNull();
    expect(featuresOfHelp('    --js-runtimes RUNTIME[:PATH]  x\n    --plugin-dirs DIR  y')).toEqual({
      jsRuntimes: true,
      pluginDirs: true,
    });
    expect(featuresOfHelp('    --no-js-runtimes-xyz\n')).toEqual({ jsRuntimes: false, pluginDirs: false });
    expect(releaseAgeDays('2026.01.01', new Date('2026-03-02T12:00:00Z'))).toBe(60);
  });

  it('puts the tool arguments before the final --, and redacts the cookies path for logs', () => {
    expect(insertToolArgs(['-f', 'b', '--', 'u'], ['--cookies', '/c'])).toEqual(['-f', 'b', '--cookies', '/c', '--', 'u']);
    expect(redactArgs(['--cookies', '/secret/c.txt', '-v'])).toEqual(['--cookies', '[redacted]', '-v']);
  });

  it("merges YTDLP_EXTRA_ARGS' --extractor-args youtube:… with the job's max_comments (the extra one wins a shared name)", () => {
    const job = ['--write-comments', '--extractor-args', 'youtube:max_comments=50', '--', 'https://youtu.be/x'];
    expect(insertToolArgs(job, ['--extractor-args', 'YouTube:player-client=default,mweb', '--limit-rate', '5M'])).toEqual([
      '--write-comments',
      '--extractor-args',
      'youtube:max_comments=50;player-client=default,mweb',
      '--limit-rate',
      '5M',
      '--',
      'https://youtu.be/x',
    ]);
    expect(mergeExtractorArgs(['--extractor-args', 'youtube:max_comments=50', '--extractor-args=youtube:max-comments=5;lang=de'])).toEqual([
      '--extractor-args',
      'youtube:max-comments=5;lang=de',
    ]);
    // other extractors, a single one, and URLs after -- are left as they are
    const apart = ['--extractor-args', 'youtube:a=1', '--extractor-args', 'youtubetab:skip=webpage', '--', '--extractor-args'];
    expect(mergeExtractorArgs(apart)).toEqual(apart);
  });

  it('the merged arguments reach the real yt-dlp option parser whole', () => {
    const binary = findYtDlp();
    const python = binary ? pythonOf(binary) : null;
    if (!binary || !python) throw new Error(`needs a Python yt-dlp (found ${binary ?? 'none'}): run npm run setup`);
    const parsed = (args: string[]) =>
      JSON.parse(
        execFileSync(
          python,
          [
            '-c',
            'import sys, json, zipfile\n' +
              'b = sys.argv[1]\n' +
              'if zipfile.is_zipfile(b): sys.path.insert(0, b)\n' +
              'from yt_dlp.options import parseOpts\n' +
              'print(json.dumps(parseOpts(sys.argv[2:])[1].extractor_args))',
            binary,
            ...args,
          ],
          { encoding: 'utf8' },
        ),
      ) as Record<string, Record<string, string[]>>;
    const job = ['--extractor-args', 'youtube:max_comments=50', '--', 'https://youtu.be/x'];
    const extra = ['--extractor-args', 'youtube:player_client=default,mweb'];
    // Debian's 2023.03.04 reads the two unmerged as the last one only (the job's cap gone); merged,
    // any release reads both
    expect(parsed(insertToolArgs(job, extra).slice(0, -2)).youtube).toEqual({ max_comments: ['50'], player_client: ['default', 'mweb'] });
  });
});

describe('Deno from the npm registry', () => {
  it('resolves node_modules/@deno/<platform>/deno, which runs and is new enough for yt-dlp (≥ 2.3)', () => {
    const deno = denoFromNodeModules();
    expect(deno).not.toBeNull();
    expect(existsSync(deno!)).toBe(true);
    expect(deno!).toMatch(/node_modules[\\/]@deno[\\/][a-z0-9-]+[\\/]deno(\.exe)?$/);
    const out = execFileSync(deno!, ['--version'], { encoding: 'utf8' });
    const [major, minor] = /deno (\d+)\.(\d+)/.exec(out)!.slice(1).map(Number);
    expect(major! > 2 || (major === 2 && minor! >= 3)).toBe(true);
  });
});

describe('tool arguments on real runs', () => {
  it('a yt-dlp ≥ 2025.11.12 gets --js-runtimes deno:<node_modules path>; the job archives', async () => {
    const s = makeYtDlpStandIn('2025.11.12');
    const { r } = await archiveWith(s.path, DEFAULT_TOOL_CONFIG);
    expect(r.files.some((f) => f.key.endsWith('.mp4'))).toBe(true);
    const runs = s.calls().filter((c) => c.argv.includes('--'));
    expect(runs.length).toBeGreaterThan(0);
    for (const c of runs) {
      const rt = valueAfter(c.argv, '--js-runtimes');
      expect(rt).toEqual([`deno:${denoFromNodeModules()}`]);
      expect(c.argv.indexOf('--no-js-runtimes')).toBeLessThan(c.argv.indexOf('--js-runtimes'));
      expect(c.argv.indexOf('--js-runtimes')).toBeLessThan(c.argv.indexOf('--'));
    }
  });

  it('an old yt-dlp (2023.03.04) gets neither --js-runtimes nor --plugin-dirs, and still archives', async () => {
    const s = makeYtDlpStandIn('2023.03.04');
    const plugins = mkdtempSync(join(tmpdir(), 'sa-plugins-'));
    const { r } = await archiveWith(s.path, { ...DEFAULT_TOOL_CONFIG, pluginDirs: [plugins] });
    expect(r.files.some((f) => f.key.endsWith('.mp4'))).toBe(true);
    const all = s.calls().flatMap((c) => c.argv);
    expect(all).not.toContain('--js-runtimes');
    expect(all).not.toContain('--no-js-runtimes');
    expect(all).not.toContain('--plugin-dirs');
  });

  it('a version that is not a date is asked --help; plugins and another runtime are passed when it lists them', async () => {
    const s = makeYtDlpStandIn('custom-build', true);
    const plugins = mkdtempSync(join(tmpdir(), 'sa-plugins-'));
    mkdirSync(join(plugins, 'bgutil-ytdlp-pot-provider', 'yt_dlp_plugins'), { recursive: true });
    const cfg: YtDlpToolConfig = {
      ...DEFAULT_TOOL_CONFIG,
      jsRuntime: parseJsRuntime(`node:${process.execPath}`),
      pluginDirs: [plugins],
    };
    const { r } = await archiveWith(s.path, cfg);
    expect(r.files.some((f) => f.key.endsWith('.mp4'))).toBe(true);
    expect(s.calls().some((c) => c.argv.join(' ') === '--help')).toBe(true);
    const run = s.calls().find((c) => c.argv.includes('--'))!;
    expect(valueAfter(run.argv, '--js-runtimes')).toEqual([`node:${process.execPath}`]);
    expect(valueAfter(run.argv, '--plugin-dirs')).toEqual([plugins]);
  });

  it('YTDLP_EXTRA_ARGS reach every run before the link', async () => {
    const s = makeYtDlpStandIn('2025.11.12');
    const { r } = await archiveWith(s.path, {
      ...DEFAULT_TOOL_CONFIG,
      extraArgs: ['--sleep-requests', '0', '--extractor-args', 'generic:impersonate=false'],
    });
    expect(r.files.length).toBeGreaterThan(0);
    const run = s.calls().find((c) => c.argv.includes('--'))!;
    const i = run.argv.indexOf('--sleep-requests');
    expect(i).toBeGreaterThan(0);
    expect(run.argv[i + 1]).toBe('0');
    expect(i).toBeLessThan(run.argv.indexOf('--'));
  });

  it('YTDLP_COOKIES is copied per job and passed with --cookies; the original is untouched, its path and contents never logged', async () => {
    const s = makeYtDlpStandIn('2025.11.12');
    const original = cookiesFile();
    const { r, t, lines } = await archiveWith(s.path, { ...DEFAULT_TOOL_CONFIG, cookiesFile: original });
    expect(r.files.some((f) => f.key.endsWith('.mp4'))).toBe(true);
    const runs = s.calls().filter((c) => c.argv.includes('--'));
    expect(runs.length).toBeGreaterThan(0);
    for (const c of runs) {
      const [copy] = valueAfter(c.argv, '--cookies');
      expect(copy).toBeDefined();
      expect(copy).not.toBe(original);
      expect(copy!.startsWith(t.workDir)).toBe(true); // the job's scratch folder
      expect(c.cookies).toContain('secret-sid-value-0123456789');
      expect(existsSync(copy!)).toBe(false); // removed with the scratch folder
    }
    // yt-dlp writes its cookie jar back into the file it was given: the original stays as it was
    expect(readFileSync(original, 'utf8')).toBe(COOKIES);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('spawning yt-dlp'))).toBe(true);
    for (const l of lines) {
      expect(l).not.toContain('my-private-cookies');
      expect(l).not.toContain('cookies.txt');
      expect(l).not.toContain('secret-sid-value');
      expect(l).not.toContain('secret-login-info');
    }
  });

  it('an unreadable cookies file fails the job as system, naming no path', async () => {
    const s = makeYtDlpStandIn('2025.11.12');
    const t = makeCtx();
    const err = await createYtDlpSource({
      allowedHosts: [host.host],
      ytdlpPath: s.path,
      toolConfig: { ...DEFAULT_TOOL_CONFIG, cookiesFile: '/nonexistent/secret-cookies.txt' },
    })
      .archive(host.pageUrl('clip01'), t.ctx)
      .then(
        () => null,
        (e: unknown) => e as Error & { category?: string },
      );
    expect(err?.category).toBe('system');
    expect(err?.message).toMatch(/YTDLP_COOKIES cannot be read \(ENOENT\)/);
    expect(err?.message).not.toContain('secret-cookies');
  });
});
