/**
 * Pure parts of the yt-dlp source and the host guard: error classification on real yt-dlp
 * messages, output parsing, command lines, address checks, link resolution, the guard proxy.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { isSpecialAddress } from '../../worker/src/net/addresses.js';
import { startGuardProxy } from '../../worker/src/net/guardProxy.js';
import { checkDestination, resolveLink } from '../../worker/src/net/hostGuard.js';
import {
  buildDownloadArgs,
  classifyYtDlpMessage,
  classifyYtDlpStderr,
  findYtDlp,
  parseItemLine,
  parseProgressLine,
  ytdlpVersion,
} from '../../worker/src/sources/ytdlp/index.js';

// Messages as yt-dlp prints them (2023.x), several seen in this project's own runs.
const SAMPLES: [string, string][] = [
  [
    "ERROR: [generic] None: Unable to download webpage: HTTP Error 404: File not found (caused by <HTTPError 404: 'File not found'>); please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U",
    'not_found',
  ],
  ['ERROR: [youtube] dQw4w9WgXcQ: Video unavailable', 'not_found'],
  ['ERROR: [youtube] abcdefghijk: Video unavailable. This video has been removed by the uploader', 'not_found'],
  [
    'ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available because the YouTube account associated with this video has been terminated.',
    'not_found',
  ],
  ['ERROR: [youtube:tab] PLxxxxxxxxxxxxxxxx: The playlist does not exist.', 'not_found'],
  ['ERROR: unable to download video data: HTTP Error 410: Gone', 'not_found'],
  ['ERROR: unable to download video data: HTTP Error 403: Forbidden', 'permission'],
  ["ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been granted access to this video", 'permission'],
  ['ERROR: [youtube] abcdefghijk: Video unavailable. This video is private', 'permission'],
  ['ERROR: [youtube] abcdefghijk: Sign in to confirm your age. This video may be inappropriate for some users.', 'permission'],
  [
    'ERROR: [youtube] abcdefghijk: Join this channel to get access to members-only content like this video, and other exclusive perks.',
    'permission',
  ],
  ['ERROR: [youtube] abcdefghijk: The uploader has not made this video available in your country', 'permission'],
  [
    "ERROR: [generic] None: Unable to download webpage: HTTP Error 429: Too Many Requests (caused by <HTTPError 429: 'Too Many Requests'>)",
    'rate_limit',
  ],
  [
    'ERROR: [youtube] abcdefghijk: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication.',
    'rate_limit',
  ],
  ["ERROR: [youtube] abcdefghijk: Sign in to confirm you're not a bot. This helps protect our community.", 'rate_limit'],
  [
    "ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno -2] Name or service not known> (caused by URLError(gaierror(-2, 'Name or service not known')))",
    'network',
  ],
  ['ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>', 'network'],
  [
    "ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno 111] Connection refused> (caused by URLError(ConnectionRefusedError(111, 'Connection refused')))",
    'network',
  ],
  ['ERROR: unable to download video data: <urlopen error [Errno 104] Connection reset by peer>', 'network'],
  ['ERROR: [youtube] abcdefghijk: Unable to download API page: The read operation timed out', 'network'],
  ['ERROR: unable to download video data: HTTP Error 503: Service Unavailable', 'network'],
  ['ERROR: Unsupported URL: https://example.org/page', 'validation'],
  ['ERROR: unable to download video data: HTTP Error 403: Blocked by archiver host guard', 'validation'],
  [
    'ERROR: [generic] None: Unable to download webpage: <urlopen error Tunnel connection failed: 403 Blocked by archiver host guard>',
    'validation',
  ],
  ['ERROR: Postprocessing: ffprobe and ffmpeg not found. Please install or provide the path using --ffmpeg-location', 'system'],
  ["ERROR: unable to open for writing: [Errno 28] No space left on device: 'x.mp4.part'", 'file_io'],
];

describe('classifyYtDlpMessage', () => {
  it.each(SAMPLES)('%s → %s', (line, category) => {
    expect(classifyYtDlpMessage(line).category).toBe(category);
  });

  it('cleans the message: no ERROR: prefix, no report boilerplate', () => {
    const c = classifyYtDlpMessage(SAMPLES[0]![0]);
    expect(c.message).toBe('Unable to download webpage: HTTP Error 404: File not found');
    // the extractor tag goes; a real video id stays, so a playlist's failing entry is named
    expect(classifyYtDlpMessage('ERROR: [youtube] aaaaaaaaaaa: Private video. Sign in if you have access').message).toBe(
      'aaaaaaaaaaa: Private video. Sign in if you have access',
    );
  });

  it('picks a retryable category over a permanent one when several entries failed', () => {
    const stderr = [
      'WARNING: x',
      'ERROR: [youtube] aaaaaaaaaaa: Video unavailable',
      'ERROR: unable to download video data: <urlopen error [Errno 104] Connection reset by peer>',
    ].join('\n');
    const c = classifyYtDlpStderr(stderr, { code: 1, signal: null });
    expect(c.category).toBe('network');
    expect(c.all.map((x) => x.category)).toEqual(['not_found', 'network']);
  });

  it('a crash without an ERROR line is system', () => {
    const c = classifyYtDlpStderr('Traceback (most recent call last):\n  File "x", line 1\nMemoryError\n', { code: 1, signal: null });
    expect(c.category).toBe('system');
    expect(c.message).toContain('MemoryError');
    expect(classifyYtDlpStderr('', { code: null, signal: 'SIGKILL' }).message).toBe('yt-dlp was killed by SIGKILL');
  });
});

describe('yt-dlp output parsing', () => {
  it('parses progress lines', () => {
    const p = parseProgressLine(
      '[sa:progress] {"status": "downloading", "downloaded_bytes": 15360, "total_bytes": 46051, "speed": 13057257.6, "eta": 0}\t"page-1"',
    );
    expect(p).toEqual({ status: 'downloading', itemId: 'page-1', downloadedBytes: 15360, totalBytes: 46051, speed: 13057257.6, eta: 0 });
    expect(
      parseProgressLine('[sa:progress] {"status": "downloading", "downloaded_bytes": 1, "total_bytes_estimate": 9}\t"NA"'),
    ).toMatchObject({ totalBytes: 9, itemId: undefined });
    expect(parseProgressLine('[download] 50% of 1MiB')).toBeNull();
  });

  it('parses the after_video line, resolving relative paths', () => {
    const line =
      '[sa:item] {"id": "page-1", "title": "Clip A page (1)", "extractor_key": "HTML5MediaEmbed", "webpage_url": "http://127.0.0.1:1/page.html"}\t' +
      '[{"filepath": "/w/page-1.mp4", "infojson_filename": "page-1.info.json"}]\t' +
      '{"en": {"url": "http://127.0.0.1:1/a.en.vtt", "ext": "vtt", "filepath": "page-1.en.vtt"}}\t' +
      '["page-1.jpg"]';
    expect(parseItemLine(line, '/w')).toEqual({
      id: 'page-1',
      title: 'Clip A page (1)',
      extractorKey: 'HTML5MediaEmbed',
      webpageUrl: 'http://127.0.0.1:1/page.html',
      playlistId: undefined,
      playlistIndex: undefined,
      mediaPaths: ['/w/page-1.mp4'],
      infoJsonPath: '/w/page-1.info.json',
      subtitlePaths: { en: '/w/page-1.en.vtt' },
      thumbnailPaths: ['/w/page-1.jpg'],
    });
    expect(parseItemLine('[sa:item] {"id": "x"}\t"NA"\t"NA"\t"NA"', '/w')).toMatchObject({
      id: 'x',
      mediaPaths: [],
      subtitlePaths: {},
      thumbnailPaths: [],
    });
  });
});

describe('yt-dlp command lines', () => {
  const base = {
    url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    extractors: ['youtube'],
    socketTimeoutS: 30,
    transcriptOnly: false,
    audioOnly: false,
    maxHeight: 720,
  };

  it('every flag exists in the installed yt-dlp', async () => {
    const bin = findYtDlp();
    expect(bin).not.toBeNull();
    expect(await ytdlpVersion(bin!)).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    const { execFileSync } = await import('node:child_process');
    const help = execFileSync(bin!, ['--help'], { encoding: 'utf8' });
    const args = [
      ...buildDownloadArgs({ ...base, playlist: true, playlistItems: [2, 3], subLangs: 'en.*', proxy: 'http://127.0.0.1:1' }),
      ...buildDownloadArgs({ ...base, playlist: false, transcriptOnly: true }),
      ...buildDownloadArgs({ ...base, playlist: false, audioOnly: true }),
    ];
    for (const a of args.filter((x) => /^--?[a-zA-Z]/.test(x))) {
      expect(help.includes(`${a} `) || help.includes(`${a},`) || help.includes(`${a}\n`), a).toBe(true);
    }
  });

  it('transcript only skips the media; audio only extracts audio; max height bounds the format', () => {
    const t = buildDownloadArgs({ ...base, playlist: false, transcriptOnly: true });
    expect(t).toContain('--skip-download');
    expect(t).not.toContain('-f');
    const a = buildDownloadArgs({ ...base, playlist: false, audioOnly: true });
    expect(a).toContain('--extract-audio');
    expect(a[a.indexOf('-f') + 1]).toBe('ba/b');
    const v = buildDownloadArgs({ ...base, playlist: false });
    expect(v[v.indexOf('-f') + 1]).toContain('height<=?720');
    expect(v).toContain('--no-playlist');
    expect(v.at(-2)).toBe('--');
    expect(v.at(-1)).toBe(base.url);
  });
});

describe('host guard', () => {
  it('knows special addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      'not-an-ip',
    ]) {
      expect(isSpecialAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '142.250.185.78', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8'])
      expect(isSpecialAddress(ip), ip).toBe(false);
  });

  it('resolves links: YouTube canonical, allowed hosts as given, the rest refused', () => {
    expect(resolveLink('https://youtu.be/dQw4w9WgXcQ?t=10&list=PLabcdefghijklmnop', [])).toMatchObject({
      kind: 'youtube',
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    });
    expect(resolveLink('https://m.youtube.com/playlist?list=PLabcdefghijklmnop', [])).toMatchObject({
      kind: 'youtube',
      url: 'https://www.youtube.com/playlist?list=PLabcdefghijklmnop',
    });
    expect(resolveLink('http://127.0.0.1:8080/a.mp4', ['127.0.0.1:8080'])).toMatchObject({ kind: 'allowed', hostPort: '127.0.0.1:8080' });
    expect(resolveLink('https://vimeo.com/123', ['vimeo.com'])).toMatchObject({ kind: 'allowed' });
    for (const bad of [
      'http://127.0.0.1:8081/a.mp4',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://evil.example/x',
      'https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view',
      'https://www.youtube.com/watch?v=bad',
    ]) {
      expect(() => resolveLink(bad, ['127.0.0.1:8080']), bad).toThrow(ArchiveError);
    }
  });

  it('checks destinations: listed hosts on any address, others public only on 80/443', async () => {
    const lookup = async (h: string) => [{ address: h === 'internal.example' ? '10.0.0.5' : '93.184.216.34', family: 4 }];
    await expect(checkDestination('127.0.0.1', 8080, ['127.0.0.1:8080'], lookup)).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(checkDestination('internal.example', 443, ['internal.example'], lookup)).resolves.toMatchObject({ address: '10.0.0.5' });
    await expect(checkDestination('cdn.example', 443, [], lookup)).resolves.toMatchObject({ address: '93.184.216.34' });
    for (const [h, p] of [
      ['internal.example', 443],
      ['127.0.0.1', 80],
      ['169.254.169.254', 80],
      ['cdn.example', 8080],
      ['[::1]', 443],
    ] as const) {
      await expect(checkDestination(h, p, ['127.0.0.1:8080'], lookup), `${h}:${p}`).rejects.toMatchObject({ category: 'validation' });
    }
  });

  it('the guard proxy refuses an unlisted private destination with its reason phrase', async () => {
    const proxy = await startGuardProxy({ allowedHosts: [] });
    try {
      const { port } = new URL(proxy.url);
      const status = await new Promise<{ code?: number; msg?: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: Number(port), path: 'http://127.0.0.1:9/secret', method: 'GET' }, (res) => {
          res.resume();
          resolve({ code: res.statusCode, msg: res.statusMessage });
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toEqual({ code: 403, msg: 'Blocked by archiver host guard' });
      expect(proxy.refused[0]).toContain('127.0.0.1:9');
    } finally {
      await proxy.close();
    }
  });

  it('a DNS failure answers 502 so it is retried as network, not refused as validation', async () => {
    const failingLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND www.youtube.com'), { code: 'ENOTFOUND' });
    };
    const proxy = await startGuardProxy({ allowedHosts: [], lookup: failingLookup });
    try {
      const { port } = new URL(proxy.url);
      const status = await new Promise<{ code?: number; msg?: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: Number(port), path: 'http://www.youtube.com/watch?v=dQw4w9WgXcQ', method: 'GET' },
          (res) => {
            res.resume();
            resolve({ code: res.statusCode, msg: res.statusMessage });
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toEqual({ code: 502, msg: 'Archiver host guard: DNS lookup failed' });
      expect(
        classifyYtDlpMessage(
          'ERROR: [youtube] dQw4w9WgXcQ: Unable to download API page: Tunnel connection failed: 502 Archiver host guard: DNS lookup failed',
        ).category,
      ).toBe('network');
      expect(
        classifyYtDlpMessage('ERROR: Unable to download webpage: HTTP Error 502: Archiver host guard: DNS lookup failed').category,
      ).toBe('network');
    } finally {
      await proxy.close();
    }
  });
});
