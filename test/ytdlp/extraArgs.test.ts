/**
 * YTDLP_EXTRA_ARGS is checked at start-up (loadConfig): each option that would break the
 * storage layout, the host guard or the process model is refused with a ConfigError that names
 * the variable, the option and why. Option spellings follow yt-dlp's README and optparse's
 * rules (unambiguous long prefixes, `--opt=value`, short clusters).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../worker/src/config/env.js';
import { parseExtraArgs, REFUSED_OPTIONS, RefusedOptionError, shellSplit } from '../../worker/src/sources/ytdlp/extraArgs.js';

function refusal(value: string): string {
  try {
    loadConfig({ YTDLP_EXTRA_ARGS: value });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`YTDLP_EXTRA_ARGS=${value} was accepted`);
}

/** A value for options that take one, so the refusal is about the option itself. */
const withValue = (opt: string) => `${opt} x`;

describe('YTDLP_EXTRA_ARGS', () => {
  it('refuses every dangerous option at start-up, naming the variable, the option and why', () => {
    expect(REFUSED_OPTIONS.size).toBeGreaterThan(60);
    for (const [opt, reason] of REFUSED_OPTIONS) {
      const msg = refusal(`--sleep-requests 1 ${withValue(opt)}`);
      expect(msg, opt).toContain('YTDLP_EXTRA_ARGS');
      expect(msg, opt).toContain(`"${opt}" is refused`);
      expect(msg, opt).toContain(reason);
    }
  });

  it.each([
    ['-o', '%(title)s.%(ext)s', /where yt-dlp writes/],
    ['--output', '/tmp/x', /where yt-dlp writes/],
    ['-P', '/etc', /where yt-dlp writes/],
    ['--paths', 'temp:/tmp', /where yt-dlp writes/],
    ['--output-na-placeholder', 'x', /where yt-dlp writes/],
    ['--exec', 'rm -rf ~', /run other programs/],
    ['--exec-before-download', 'id', /run other programs/],
    ['--proxy', 'socks5://1.2.3.4', /host guard/],
    ['--config-locations', '/etc/yt-dlp.conf', /config file/],
    ['--config-location', '/etc/yt-dlp.conf', /config file/],
    ['--batch-file', '/etc/passwd', /links come from the sheet/],
    ['-a', '/etc/passwd', /links come from the sheet/],
    ['--enable-file-urls', '', /file:\/\//],
    ['--load-info-json', '/etc/passwd', /local file/],
    ['--cookies-from-browser', 'chrome', /browser profiles/],
    ['--download-archive', 'a.txt', /archive file/],
    ['--print-to-file', 'x /etc/x', /path of its own/],
    ['--netrc-location', '/root', /credential/],
    ['--netrc-cmd', 'cat', /run other programs/],
    ['--update', '', /update-tools/],
    ['-U', '', /update-tools/],
    ['--remote-components', 'ejs:github', /GitHub or npm/],
    ['--cookies', '/x', /YTDLP_COOKIES/],
    ['--js-runtimes', 'node', /YTDLP_JS_RUNTIME/],
    ['--plugin-dirs', '/x', /YTDLP_PLUGIN_DIRS/],
    ['--verbose', '', /log/],
    ['--password', 'hunter2', /credential/],
  ])('refuses %s', (opt, value, why) => {
    const msg = refusal(`${opt} ${value}`.trim());
    expect(msg).toMatch(why);
    if (value === 'hunter2') expect(msg).not.toContain('hunter2');
  });

  it('catches the spellings optparse accepts: --opt=value, unambiguous prefixes, short clusters', () => {
    expect(refusal('--exec=id')).toContain('"--exec" is refused');
    expect(refusal('--OUTPUT=x')).toContain('"--output" is refused');
    expect(refusal('--outp x')).toMatch(/"--outp" is refused: .*it abbreviates --output/);
    expect(refusal('--config-loc x')).toContain('--config-loc');
    expect(refusal('--batch x')).toContain('abbreviates --batch-file');
    expect(refusal('-io x')).toContain('"-o" is refused');
    expect(refusal('-iwa list.txt')).toContain('"-a" is refused');
    // after an option that takes a value, the rest of the cluster is that value
    expect(refusal('-ix')).toContain('"-x" is refused');
    expect(parseExtraArgs('-N4x -R3')).toEqual(['-N4x', '-R3']);
  });

  it('refuses links and --, which would add downloads the sheet did not ask for', () => {
    expect(refusal('https://evil.example/x')).toContain('links come from the sheet');
    expect(refusal('file:///etc/passwd')).toContain('links come from the sheet');
    expect(refusal('ytsearch10:cats')).toContain('links come from the sheet');
    expect(refusal('-- https://x')).toContain('"--" is refused');
  });

  it('accepts options the worker has no setting for, split like a shell', () => {
    const c = loadConfig({
      YTDLP_EXTRA_ARGS: `--sleep-requests 1.5 --extractor-args "youtube:player_client=web,default;po_token=web.gvs+XYZ" --limit-rate 2M -N 4 --impersonate chrome --format-sort res:720 --add-headers 'Referer: https://example.org/'`,
    });
    expect(c.env.YTDLP_EXTRA_ARGS).toEqual([
      '--sleep-requests',
      '1.5',
      '--extractor-args',
      'youtube:player_client=web,default;po_token=web.gvs+XYZ',
      '--limit-rate',
      '2M',
      '-N',
      '4',
      '--impersonate',
      'chrome',
      '--format-sort',
      'res:720',
      '--add-headers',
      'Referer: https://example.org/',
    ]);
    expect(loadConfig({}).env.YTDLP_EXTRA_ARGS).toEqual([]);
    expect(parseExtraArgs('   ')).toEqual([]);
  });

  it('splits quotes and escapes like a POSIX shell, and rejects an unterminated quote', () => {
    expect(shellSplit(`a 'b c' "d \\"e\\" f" g\\ h '' "x"y`)).toEqual(['a', 'b c', 'd "e" f', 'g h', '', 'xy']);
    expect(() => loadConfig({ YTDLP_EXTRA_ARGS: `--add-headers "Referer: x` })).toThrow(/YTDLP_EXTRA_ARGS: unterminated double quote/);
    expect(new RefusedOptionError('--exec', 'why').message).toBe('"--exec" is refused: why');
  });
});

describe('other yt-dlp tool settings', () => {
  it('YTDLP_JS_RUNTIME takes deno, node, bun, quickjs or none, with an optional path', () => {
    expect(loadConfig({}).env.YTDLP_JS_RUNTIME).toEqual({ name: 'deno' });
    expect(loadConfig({ YTDLP_JS_RUNTIME: 'quickjs:/opt/qjs' }).env.YTDLP_JS_RUNTIME).toEqual({
      name: 'quickjs',
      path: '/opt/qjs',
    });
    expect(loadConfig({ YTDLP_JS_RUNTIME: 'Node' }).env.YTDLP_JS_RUNTIME).toEqual({ name: 'node' });
    expect(loadConfig({ YTDLP_JS_RUNTIME: 'none' }).env.YTDLP_JS_RUNTIME).toEqual({ name: 'none' });
    expect(() => loadConfig({ YTDLP_JS_RUNTIME: 'phantomjs' })).toThrow(
      /YTDLP_JS_RUNTIME: "phantomjs" is not one of deno, node, quickjs, bun or none/,
    );
  });

  it('YTDLP_PLUGIN_DIRS is a list of folders, made absolute', () => {
    expect(loadConfig({ YTDLP_PLUGIN_DIRS: '/opt/pot, /srv/plugins:/x y' }).env.YTDLP_PLUGIN_DIRS).toEqual([
      '/opt/pot',
      '/srv/plugins',
      '/x y',
    ]);
  });
});
