/**
 * A local media host for tests, the demo and the benchmarks (design §7): ffmpeg-made clips, HTML
 * pages with `<video>`/`<track>`, a multi-video page, an HLS stream and failure endpoints,
 * served on 127.0.0.1 with a random port. yt-dlp reaches it with `--ies generic,html5` once its
 * `host` ("127.0.0.1:PORT") is in the allow-list.
 *
 * Media is generated once per parameter set into a cache folder under os.tmpdir() and reused
 * across test files and runs (files are written to a temp name and renamed, so parallel test
 * workers can race safely).
 *
 * Routes:
 * - `/clips/<name>.mp4`        a clip (HTTP Range supported); `/clips/<name>.jpg` its poster
 * - `/clips/<name>.cut.mp4`    the clip cut after 30 % of its bytes (index in front, so its header
 *                              still states the full length); `/clips/<name>.noaudio.mp4` without audio
 * - `/described/<name>.<full|cut|noaudio>.html`  a page whose schema.org VideoObject (JSON-LD)
 *                              points at that clip variant and states the clip's true duration
 * - `/subs/<name>.en.vtt`      its subtitles
 * - `/pages/<name>.html`       a page with `<video>` + `<track kind="subtitles">` + poster
 * - `/playlist.html`           a multi-video page (a playlist to the html5 extractor)
 * - `/hls/index.m3u8`          an HLS stream (ffmpeg-segmented first clip)
 * - `/hls/clip02/index.m3u8`   another HLS stream (the second clip) with the same file name
 * - `/feeds/<name>.xml`        an RSS feed of clip links, newest first (`setFeed`): a channel-like
 *                              list whose entries yt-dlp's generic extractor ids by clip name
 * - `/missing.mp4`, `/missing.html`   404
 * - `/forbidden.mp4`, `/forbidden.html` 403
 * - `/ratelimited.mp4`, `/ratelimited.html` 429 with Retry-After, always
 * - `/slow.mp4`                a large "mp4" trickled slowly (cancel tests); never finishes quickly
 * - `/x/<name>`                extra pages given in options (`extraPages`)
 * - `/redirect/<name>`         302 to the Location given in options (`redirects`), e.g. `file:///etc/passwd`
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MediaHostOptions {
  /** number of distinct clips, named clip01…clipNN; default 4 */
  clipCount?: number;
  /** seconds per clip; default 2 */
  clipSeconds?: number;
  /** video bitrate in kbit/s, constant (filler) so sizes are predictable; default: x264's CRF (small files) */
  clipKbps?: number;
  /** clips listed on /playlist.html; default 3 (capped at clipCount) */
  playlistSize?: number;
  /** per-connection throttle for response bodies, bytes/s; default unlimited */
  throttleBytesPerSec?: number;
  /** wait before sending the response headers, ms; default 0 */
  firstByteDelayMs?: number;
  /** Retry-After seconds of the 429 endpoints; default 1 */
  retryAfterS?: number;
  /** bytes per 100 ms of /slow.mp4; default 4096 */
  slowChunkBytes?: number;
  /** extra HTML pages served at /x/<name> (e.g. a page pointing elsewhere, for host-guard tests) */
  extraPages?: Record<string, string>;
  /** `/redirect/<name>` answers 302 with this Location (hostile-link tests: a redirect to file://) */
  redirects?: Record<string, string>;
  /** cache folder; default <os.tmpdir()>/sheet-archiver-media-<hash of the media parameters> */
  cacheDir?: string;
}

/** One served request. */
export interface RequestLogEntry {
  method: string;
  path: string;
  /** the Host header */
  host: string;
  status: number;
  range?: string;
  /** body bytes sent */
  bytes: number;
  /** the Cookie header, when one was sent */
  cookie?: string;
  /** ms since epoch */
  at: number;
}

export interface MediaHost {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** `127.0.0.1:PORT`, for the allow-list */
  host: string;
  port: number;
  /** clip names, clip01…clipNN */
  clips: string[];
  /** the clips on /playlist.html */
  playlistClips: string[];
  /** folder holding the generated media */
  mediaDir: string;
  /** every request served, in order */
  requests: RequestLogEntry[];
  /** requests whose response is still being sent (optionally only those for `path`) */
  inFlight(path?: string): RequestLogEntry[];
  /** `<baseUrl>/clips/<name>.mp4` */
  clipUrl(name: string): string;
  /** `<baseUrl>/pages/<name>.html`: the clip in a `<video>` with a subtitle track */
  pageUrl(name: string): string;
  /** `<baseUrl>/playlist.html` */
  playlistUrl(): string;
  /** `<baseUrl>/hls/index.m3u8`; with `clip02`, `<baseUrl>/hls/clip02/index.m3u8` (a second stream, same file name) */
  hlsUrl(name?: 'clip02'): string;
  /** Serves (or replaces) `/feeds/<name>.xml`, an RSS feed linking each clip's mp4, in the order given. */
  setFeed(name: string, clips: string[]): void;
  /** `<baseUrl>/feeds/<name>.xml` */
  feedUrl(name: string): string;
  /** `<baseUrl>/missing.mp4` (404) */
  notFoundUrl(kind?: 'mp4' | 'html'): string;
  /** `<baseUrl>/forbidden.mp4` (403) */
  forbiddenUrl(kind?: 'mp4' | 'html'): string;
  /** `<baseUrl>/ratelimited.mp4` (429) */
  rateLimitedUrl(kind?: 'mp4' | 'html'): string;
  /** `<baseUrl>/slow.mp4` (trickles) */
  slowUrl(): string;
  /** `<baseUrl>/x/<name>` (extraPages) */
  extraUrl(name: string): string;
  /** `<baseUrl>/redirect/<name>` (redirects) */
  redirectUrl(name: string): string;
  /** `<baseUrl>/clips/<name>.<variant>.mp4`: the clip cut short, or without audio */
  brokenClipUrl(name: string, variant: 'cut' | 'noaudio'): string;
  /** `<baseUrl>/described/<name>.<variant>.html`: JSON-LD page stating the clip's true duration */
  describedPageUrl(name: string, variant?: 'full' | 'cut' | 'noaudio'): string;
  /** `<baseUrl><path>` */
  url(path: string): string;
  /** the subtitle text served for a clip */
  subtitleText(name: string): string;
  /** Stops the server, closing open connections. */
  close(): Promise<void>;
}

const clipName = (i: number) => `clip${String(i + 1).padStart(2, '0')}`;

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Writes `target` through a temp file + rename unless it exists. */
function once(target: string, make: (tmp: string) => void, ext = ''): void {
  if (existsSync(target)) return;
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp${ext}`;
  try {
    make(tmp);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true, recursive: true });
  }
}

/**
 * Generates (or reuses) the clips, posters and HLS stream.
 * @returns the media folder.
 */
export function ensureMedia(o: { clipCount: number; clipSeconds: number; clipKbps?: number; cacheDir?: string }): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, n: o.clipCount, s: o.clipSeconds, k: o.clipKbps ?? null }))
    .digest('hex')
    .slice(0, 12);
  const dir = o.cacheDir ?? join(tmpdir(), `sheet-archiver-media-${key}`);
  mkdirSync(join(dir, 'hls'), { recursive: true });
  for (let i = 0; i < o.clipCount; i++) {
    const name = clipName(i);
    const mp4 = join(dir, `${name}.mp4`);
    const rate = o.clipKbps
      ? [
          '-b:v',
          `${o.clipKbps}k`,
          '-minrate',
          `${o.clipKbps}k`,
          '-maxrate',
          `${o.clipKbps}k`,
          '-bufsize',
          `${o.clipKbps}k`,
          '-x264-params',
          'nal-hrd=cbr',
        ]
      : ['-crf', '30'];
    once(mp4, (tmp) =>
      ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=320x240:rate=15:duration=${o.clipSeconds}`,
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=${220 + 40 * i}:duration=${o.clipSeconds}`,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        ...rate,
        '-c:a',
        'aac',
        '-b:a',
        '64k',
        '-shortest',
        '-metadata',
        `title=${name}`,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        tmp,
      ]),
    );
    once(join(dir, `${name}.jpg`), (tmp) => ffmpeg(['-i', mp4, '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', tmp]));
    // broken variants for the completion check: a download cut short, and one without its audio
    once(join(dir, `${name}.cut.mp4`), (tmp) => {
      const bytes = readFileSync(mp4);
      writeFileSync(tmp, bytes.subarray(0, Math.floor(bytes.length * 0.3)));
    });
    once(join(dir, `${name}.noaudio.mp4`), (tmp) => ffmpeg(['-i', mp4, '-an', '-c', 'copy', '-f', 'mp4', tmp]));
  }
  const m3u8 = join(dir, 'hls', 'index.m3u8');
  if (!existsSync(m3u8)) {
    const work = join(dir, `hls.${process.pid}.tmp`);
    mkdirSync(work, { recursive: true });
    ffmpeg([
      '-i',
      join(dir, `${clipName(0)}.mp4`),
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      join(work, 'seg%03d.ts'),
      join(work, 'index.m3u8'),
    ]);
    for (const f of readdirSync(work).filter((f) => f.endsWith('.ts'))) renameSync(join(work, f), join(dir, 'hls', f));
    renameSync(join(work, 'index.m3u8'), m3u8); // last: its presence means the segments are there
    rmSync(work, { recursive: true, force: true });
  }
  // a second stream whose playlist has the same file name (`index.m3u8`) at another path
  const m3u8b = join(dir, 'hls', 'clip02', 'index.m3u8');
  if (o.clipCount >= 2 && !existsSync(m3u8b)) {
    const work = join(dir, `hls2.${process.pid}.tmp`);
    mkdirSync(work, { recursive: true });
    mkdirSync(join(dir, 'hls', 'clip02'), { recursive: true });
    ffmpeg([
      '-i',
      join(dir, `${clipName(1)}.mp4`),
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      join(work, 'seg%03d.ts'),
      join(work, 'index.m3u8'),
    ]);
    for (const f of readdirSync(work).filter((f) => f.endsWith('.ts'))) renameSync(join(work, f), join(dir, 'hls', 'clip02', f));
    renameSync(join(work, 'index.m3u8'), m3u8b);
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** The WebVTT served for a clip. */
export function subtitleFor(name: string): string {
  return `WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello from ${name}.\n\n00:00:01.000 --> 00:00:02.000\nThis is the transcript of ${name}.\n`;
}

/**
 * A page describing one clip with a schema.org VideoObject (https://schema.org/VideoObject:
 * contentUrl, encodingFormat, duration as ISO 8601), which yt-dlp's generic extractor reads
 * (`_search_json_ld`), so the info JSON carries the true duration whatever file is served.
 */
function describedHtml(baseUrl: string, clip: string, file: string, seconds: number): string {
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'VideoObject',
    name: `Described ${clip}`,
    contentUrl: `${baseUrl}/clips/${file}`,
    encodingFormat: 'video/mp4',
    duration: `PT${seconds}S`,
    uploadDate: '2026-01-01',
  };
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Described ${clip}</title>\n<script type="application/ld+json">${JSON.stringify(ld)}</script>\n</head><body><h1>${clip}</h1></body></html>\n`;
}

function pageHtml(title: string, clips: string[]): string {
  const videos = clips
    .map(
      (c) => `<video controls poster="/clips/${c}.jpg" width="320" height="240">
  <source src="/clips/${c}.mp4" type="video/mp4">
  <track kind="subtitles" srclang="en" label="English" src="/subs/${c}.en.vtt">
</video>`,
    )
    .join('\n');
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n${videos}\n</body></html>\n`;
}

/** An RSS 2.0 feed of clip links, in the order given (yt-dlp's generic extractor reads `channel/item/link`). */
function feedXml(name: string, clips: string[], url: (p: string) => string): string {
  const items = clips.map((c) => `    <item><title>${c}</title><link>${url(`/clips/${c}.mp4`)}</link></item>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n    <title>Feed ${name}</title>\n    <link>${url(`/feeds/${name}.xml`)}</link>\n    <description>Uploads of ${name}, newest first</description>\n${items}\n  </channel>\n</rss>\n`;
}

const MIME: Record<string, string> = {
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  vtt: 'text/vtt; charset=utf-8',
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  html: 'text/html; charset=utf-8',
};

/**
 * Starts the media host on 127.0.0.1 with a random port. Generating the media the first time
 * takes a few seconds (ffmpeg); later starts reuse the cache.
 */
export async function startMediaHost(opts: MediaHostOptions = {}): Promise<MediaHost> {
  const clipCount = opts.clipCount ?? 4;
  const mediaDir = ensureMedia({
    clipCount,
    clipSeconds: opts.clipSeconds ?? 2,
    ...(opts.clipKbps ? { clipKbps: opts.clipKbps } : {}),
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
  });
  const clips = Array.from({ length: clipCount }, (_, i) => clipName(i));
  const playlistClips = clips.slice(0, Math.min(clipCount, opts.playlistSize ?? 3));
  const requests: RequestLogEntry[] = [];
  let baseUrl = ''; // set once listening
  const feeds = new Map<string, string[]>();
  const open = new Set<RequestLogEntry>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r();
      }, ms);
      timers.add(t);
    });

  /** Writes a body honouring the throttle; resolves when done or the client left. */
  async function sendBody(res: ServerResponse, chunks: AsyncIterable<Buffer> | Buffer[], entry: RequestLogEntry): Promise<void> {
    const rate = opts.throttleBytesPerSec;
    const slice = rate ? Math.max(1024, Math.floor(rate / 10)) : Infinity;
    for await (const chunk of chunks) {
      for (let off = 0; off < chunk.length; off += Math.min(slice, chunk.length)) {
        if (res.destroyed) return;
        const part = chunk.subarray(off, off + Math.min(slice, chunk.length));
        const ok = res.write(part);
        entry.bytes += part.length;
        if (rate) await delay((part.length / rate) * 1000);
        else if (!ok)
          await new Promise<void>((r) => {
            res.once('drain', r);
            res.once('close', r);
          });
      }
    }
    res.end();
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, path: string, type: string, entry: RequestLogEntry): Promise<void> {
    if (!existsSync(path)) return void simple(res, entry, 404, 'Not Found');
    const size = statSync(path).size;
    let start = 0;
    let end = size - 1;
    const range = req.headers.range;
    const headers: Record<string, string | number> = { 'content-type': type, 'accept-ranges': 'bytes' };
    let status = 200;
    if (range) {
      entry.range = range;
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!m || (m[1] === '' && m[2] === ''))
        return void simple(res, entry, 416, 'Range Not Satisfiable', { 'content-range': `bytes */${size}` });
      if (m[1] === '') start = Math.max(0, size - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      if (start >= size || start > end)
        return void simple(res, entry, 416, 'Range Not Satisfiable', { 'content-range': `bytes */${size}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    entry.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    await sendBody(res, createReadStream(path, { start, end }) as AsyncIterable<Buffer>, entry);
  }

  function simple(res: ServerResponse, entry: RequestLogEntry, status: number, body: string, headers: Record<string, string> = {}): void {
    entry.status = status;
    const buf = Buffer.from(body);
    entry.bytes += buf.length;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': buf.length, ...headers }).end(buf);
  }

  async function html(res: ServerResponse, entry: RequestLogEntry, body: string): Promise<void> {
    const buf = Buffer.from(body);
    entry.status = 200;
    res.writeHead(200, { 'content-type': MIME['html']!, 'content-length': buf.length });
    await sendBody(res, [buf], entry);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''));
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path, host: req.headers.host ?? '', status: 0, bytes: 0, at: Date.now() };
    if (req.headers.cookie) entry.cookie = req.headers.cookie;
    requests.push(entry);
    open.add(entry);
    res.once('close', () => open.delete(entry));
    if (opts.firstByteDelayMs) await delay(opts.firstByteDelayMs);
    let m: RegExpExecArray | null;
    if ((m = /^\/clips\/(clip\d+)\.(mp4|jpg|cut\.mp4|noaudio\.mp4)$/.exec(path)) && clips.includes(m[1]!)) {
      return serveFile(req, res, join(mediaDir, `${m[1]}.${m[2]}`), MIME[m[2]!.split('.').pop()!]!, entry);
    }
    if ((m = /^\/described\/(clip\d+)\.(full|cut|noaudio)\.html$/.exec(path)) && clips.includes(m[1]!)) {
      const file = m[2] === 'full' ? `${m[1]}.mp4` : `${m[1]}.${m[2]}.mp4`;
      return html(res, entry, describedHtml(baseUrl, m[1]!, file, opts.clipSeconds ?? 2));
    }
    if ((m = /^\/subs\/(clip\d+)\.en\.vtt$/.exec(path)) && clips.includes(m[1]!)) {
      const buf = Buffer.from(subtitleFor(m[1]!));
      entry.status = 200;
      res.writeHead(200, { 'content-type': MIME['vtt']!, 'content-length': buf.length });
      return sendBody(res, [buf], entry);
    }
    if ((m = /^\/pages\/(clip\d+)\.html$/.exec(path)) && clips.includes(m[1]!))
      return html(res, entry, pageHtml(`Page of ${m[1]}`, [m[1]!]));
    if (path === '/playlist.html') return html(res, entry, pageHtml('Playlist page', playlistClips));
    if ((m = /^\/hls\/(index\.m3u8|seg\d+\.ts)$/.exec(path)))
      return serveFile(req, res, join(mediaDir, 'hls', m[1]!), MIME[m[1]!.split('.').pop()!]!, entry);
    if ((m = /^\/hls\/clip02\/(index\.m3u8|seg\d+\.ts)$/.exec(path)) && clips.includes('clip02')) {
      return serveFile(req, res, join(mediaDir, 'hls', 'clip02', m[1]!), MIME[m[1]!.split('.').pop()!]!, entry);
    }
    if ((m = /^\/feeds\/([\w-]+)\.xml$/.exec(path)) && feeds.has(m[1]!)) {
      const buf = Buffer.from(feedXml(m[1]!, feeds.get(m[1]!)!, url));
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': buf.length });
      return sendBody(res, [buf], entry);
    }
    if ((m = /^\/x\/(.+)$/.exec(path)) && opts.extraPages?.[m[1]!] !== undefined) return html(res, entry, opts.extraPages[m[1]!]!);
    if ((m = /^\/redirect\/(.+)$/.exec(path)) && opts.redirects?.[m[1]!] !== undefined) {
      return simple(res, entry, 302, 'Found', { location: opts.redirects[m[1]!]! });
    }
    if (/^\/missing\.(mp4|html)$/.test(path)) return simple(res, entry, 404, 'Not Found');
    if (/^\/forbidden\.(mp4|html)$/.test(path)) return simple(res, entry, 403, 'Forbidden');
    if (/^\/ratelimited\.(mp4|html)$/.test(path))
      return simple(res, entry, 429, 'Too Many Requests', { 'retry-after': String(opts.retryAfterS ?? 1) });
    if (path === '/slow.mp4') {
      // Looks like a big mp4; sends slowChunkBytes every 100 ms until the client goes away.
      const total = 512 * 1024 * 1024;
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': total, 'accept-ranges': 'none' });
      const chunk = Buffer.alloc(opts.slowChunkBytes ?? 4096, 0);
      while (!res.destroyed && entry.bytes < total) {
        res.write(chunk);
        entry.bytes += chunk.length;
        await delay(100);
      }
      return void res.end();
    }
    return simple(res, entry, 404, 'Not Found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(String(err.message));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  const url = (p: string) => baseUrl + p;
  return {
    baseUrl,
    host: `127.0.0.1:${port}`,
    port,
    clips,
    playlistClips,
    mediaDir,
    requests,
    inFlight: (p) => [...open].filter((e) => p === undefined || e.path === p),
    url,
    clipUrl: (n) => url(`/clips/${n}.mp4`),
    pageUrl: (n) => url(`/pages/${n}.html`),
    playlistUrl: () => url('/playlist.html'),
    hlsUrl: (name) => url(name ? `/hls/${name}/index.m3u8` : '/hls/index.m3u8'),
    setFeed: (name, list) => void feeds.set(name, [...list]),
    feedUrl: (name) => url(`/feeds/${name}.xml`),
    notFoundUrl: (k = 'mp4') => url(`/missing.${k}`),
    forbiddenUrl: (k = 'mp4') => url(`/forbidden.${k}`),
    rateLimitedUrl: (k = 'mp4') => url(`/ratelimited.${k}`),
    slowUrl: () => url('/slow.mp4'),
    extraUrl: (n) => url(`/x/${n}`),
    redirectUrl: (n) => url(`/redirect/${n}`),
    brokenClipUrl: (n, v) => url(`/clips/${n}.${v}.mp4`),
    describedPageUrl: (n, v = 'full') => url(`/described/${n}.${v}.html`),
    subtitleText: subtitleFor,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
