/**
 * Link parsing (design §2): a URL → what it points at, identically in Apps Script and Node.
 * No `URL` class (Apps Script lacks it): a small RFC 3986 split does the work.
 */
import type { SourceName } from './columns.js';

export type ParsedLink =
  | { source: 'youtube'; kind: 'video'; id: string; playlistId?: string }
  | { source: 'youtube'; kind: 'playlist'; id: string }
  /** id: `UC…` (24 characters) for /channel/, `@handle` for handles, `c/<name>` or `user/<name>` for the legacy forms */
  | { source: 'youtube'; kind: 'channel'; id: string; tab?: ChannelTab }
  | {
      source: 'drive';
      kind: 'file' | 'folder' | 'document' | 'spreadsheet' | 'presentation';
      id: string;
      resourceKey?: string;
    };

/** The channel tabs a channel link may name (design §2); absent means the channel's videos. */
export type ChannelTab = 'videos' | 'shorts' | 'streams';

/** The parts of an absolute http(s) URL (RFC 3986 §3). Host is lower-cased, without userinfo. */
export interface UrlParts {
  scheme: string;
  host: string;
  port: string;
  path: string;
  query: Record<string, string>;
  fragment: string;
}

const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * Splits an absolute URL. A bare `host/path` (no scheme) is read as https, as yt-dlp does.
 * @returns null for anything that is not http or https, or has no host.
 */
export function splitUrl(input: string): UrlParts | null {
  let s = String(input ?? '').trim();
  if (!s) return null;
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) s = 'https://' + s.replace(/^\/\//, '');
  const m = URL_RE.exec(s);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return null;
  const authority = m[2]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  let host = hostPort;
  let port = '';
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostPort);
  if (v6) {
    host = `[${v6[1]}]`;
    port = v6[2] ?? '';
  } else {
    const i = hostPort.lastIndexOf(':');
    if (i >= 0) {
      host = hostPort.slice(0, i);
      port = hostPort.slice(i + 1);
    }
  }
  host = host.toLowerCase().replace(/\.$/, '');
  if (!host || (port && !/^\d{1,5}$/.test(port))) return null;
  const query: Record<string, string> = {};
  for (const pair of (m[4] ?? '').split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (!(k in query)) query[k] = decode(eq < 0 ? '' : pair.slice(eq + 1));
  }
  return { scheme, host, port, path: m[3] || '/', query, fragment: m[5] ?? '' };
}

/** `host` or `host:port`, lower-cased, for allow-list checks. Null when not an http(s) URL. */
export function hostOf(url: string): string | null {
  const p = splitUrl(url);
  return p ? (p.port ? `${p.host}:${p.port}` : p.host) : null;
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
// Real playlist families; RD… (auto-generated mixes) are deliberately absent.
const PLAYLIST_ID = /^(?:PL|UU|LL|FL|UL|OLAK5uy_|OL)[A-Za-z0-9_-]{10,64}$/;
const DRIVE_ID = /^[A-Za-z0-9_-]{25,100}$/;
// Channel ids are `UC` + 22 base64url characters; handles are 3–30 letters, digits, `_`, `-`, `.`
// (YouTube's handle rules allow letters of any script); legacy /c/ and /user/ names are one path segment.
const CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;
const HANDLE = /^@[\p{L}\p{N}_.-]{3,30}$/u;
const LEGACY_NAME = /^[\p{L}\p{N}_.-]{1,100}$/u;
const CHANNEL_TABS: readonly string[] = ['videos', 'shorts', 'streams'];
const CHANNEL_HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com', 'music.youtube.com']);

function decodePath(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** `/channel/UC…`, `/@handle`, `/c/name`, `/user/name`, each with an optional videos/shorts/streams tab. */
function channel(host: string, segs: string[]): ParsedLink | null {
  if (!CHANNEL_HOSTS.has(host) || !segs.length) return null;
  const parts = segs.map(decodePath);
  if (parts.some((p) => p === null)) return null;
  const [first, second] = parts as string[];
  let id: string | undefined;
  let rest: string[];
  if (first === 'channel' && second && CHANNEL_ID.test(second)) {
    id = second;
    rest = parts.slice(2) as string[];
  } else if ((first === 'c' || first === 'user') && second && LEGACY_NAME.test(second)) {
    id = `${first}/${second}`;
    rest = parts.slice(2) as string[];
  } else if (first && HANDLE.test(first)) {
    id = first;
    rest = parts.slice(1) as string[];
  } else return null;
  if (rest.length > 1) return null;
  const tab = rest[0];
  if (tab === undefined) return { source: 'youtube', kind: 'channel', id };
  return CHANNEL_TABS.includes(tab) ? { source: 'youtube', kind: 'channel', id, tab: tab as ChannelTab } : null;
}

const YT_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);
const YT_SHORT_HOSTS = new Set(['youtu.be', 'www.youtu.be']);

function youtube(p: UrlParts): ParsedLink | null {
  const segs = p.path.split('/').filter(Boolean);
  const list = p.query['list'];
  const playlistId = list && PLAYLIST_ID.test(list) ? list : undefined;
  if (YT_SHORT_HOSTS.has(p.host)) {
    const id = segs[0];
    if (segs.length !== 1 || !id || !VIDEO_ID.test(id)) return null;
    return playlistId ? { source: 'youtube', kind: 'video', id, playlistId } : { source: 'youtube', kind: 'video', id };
  }
  if (!YT_HOSTS.has(p.host)) return null;
  let id: string | undefined;
  if (segs.length === 1 && segs[0] === 'watch') id = p.query['v'];
  else if (segs.length === 1 && segs[0] === 'playlist') return playlistId ? { source: 'youtube', kind: 'playlist', id: playlistId } : null;
  else if (segs.length === 2 && segs[0] === 'embed' && segs[1] === 'videoseries')
    return playlistId ? { source: 'youtube', kind: 'playlist', id: playlistId } : null;
  else if (segs.length === 2 && ['shorts', 'embed', 'live', 'v', 'e'].includes(segs[0]!)) id = segs[1];
  else if (segs[0] === 'channel' || segs[0] === 'c' || segs[0] === 'user' || /^(@|%40)/i.test(segs[0] ?? '')) return channel(p.host, segs);
  if (!id || !VIDEO_ID.test(id)) return null;
  return playlistId ? { source: 'youtube', kind: 'video', id, playlistId } : { source: 'youtube', kind: 'video', id };
}

const DOC_KINDS: Record<string, 'document' | 'spreadsheet' | 'presentation' | 'file'> = {
  document: 'document',
  spreadsheets: 'spreadsheet',
  presentation: 'presentation',
  file: 'file',
};

function drive(p: UrlParts): ParsedLink | null {
  // Drop a leading u/N (signed-in account index) anywhere it may appear.
  const segs = p.path
    .split('/')
    .filter(Boolean)
    .filter((s, i, a) => !(s === 'u' && /^\d+$/.test(a[i + 1] ?? '')) && !(/^\d+$/.test(s) && a[i - 1] === 'u'));
  const resourceKey = p.query['resourcekey'] || undefined;
  const withKey = <T extends object>(o: T) => (resourceKey ? { ...o, resourceKey } : o);
  let kind: 'file' | 'folder' | 'document' | 'spreadsheet' | 'presentation' | undefined;
  let id: string | undefined;
  if (p.host === 'drive.google.com') {
    if (segs[0] === 'file' && segs[1] === 'd') {
      kind = 'file';
      id = segs[2];
    } else if (segs[0] === 'drive' && segs[1] === 'folders') {
      kind = 'folder';
      id = segs[2];
    } else if (segs[0] === 'drive' && segs[1] === 'mobile' && segs[2] === 'folders') {
      kind = 'folder';
      id = segs[3];
    } else if (segs.length === 1 && (segs[0] === 'open' || segs[0] === 'uc')) {
      kind = 'file';
      id = p.query['id'];
    } else if (segs.length === 1 && segs[0] === 'folderview') {
      kind = 'folder';
      id = p.query['id'];
    }
  } else if (p.host === 'docs.google.com') {
    const k = DOC_KINDS[segs[0] ?? ''];
    if (k && segs[1] === 'd') {
      kind = k;
      id = segs[2];
    } else if (segs.length === 1 && segs[0] === 'uc') {
      kind = 'file';
      id = p.query['id'];
    }
  } else if (p.host === 'drive.usercontent.google.com') {
    if (segs.length === 1 && (segs[0] === 'download' || segs[0] === 'uc')) {
      kind = 'file';
      id = p.query['id'];
    }
  }
  if (!kind || !id || !DRIVE_ID.test(id)) return null;
  return withKey({ source: 'drive' as const, kind, id });
}

/**
 * Parses a YouTube or Google Drive/Docs link (design §2).
 * @returns what the link points at, or null when it is not a YouTube/Drive link of a valid shape
 *   (other hosts, ids of the wrong shape, auto-generated `RD…` mixes).
 */
export function parseLink(url: string): ParsedLink | null {
  const p = splitUrl(url);
  if (!p) return null;
  if (p.host.endsWith('youtube.com') || p.host.endsWith('youtu.be') || p.host.endsWith('youtube-nocookie.com')) return youtube(p);
  if (p.host === 'drive.google.com' || p.host === 'docs.google.com' || p.host === 'drive.usercontent.google.com') return drive(p);
  return null;
}

/**
 * Splits a cell into candidate URLs: separated by whitespace, commas, semicolons or new lines.
 * Duplicates are dropped, order kept. Only tokens that look like URLs (scheme or known host) are returned.
 */
export function splitLinks(cell: unknown): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const tok of String(cell ?? '').split(/[\s,;]+/)) {
    const t = tok.trim();
    if (!t || !/^(https?:\/\/|(www\.|m\.)?(youtube\.com|youtu\.be|drive\.google\.com|docs\.google\.com)\/)/i.test(t)) continue;
    if (seen.has(t)) continue;
    seen.add(t);
    out.push(t);
  }
  return out;
}

/**
 * Hosts the worker lets yt-dlp fetch beyond YouTube, as `host` or `host:port` (lower-cased).
 * A bare `host` entry matches any port.
 */
export function isAllowedHost(url: string, allowedHosts: readonly string[]): boolean {
  const p = splitUrl(url);
  if (!p) return false;
  const hp = p.port ? `${p.host}:${p.port}` : p.host;
  return allowedHosts.some((h) => {
    const a = h.trim().toLowerCase();
    return a !== '' && (a === hp || a === p.host);
  });
}

/**
 * Which source a link belongs to: YouTube and allowed media hosts → youtube, Drive/Docs → drive.
 * @returns null for links that must be ignored (never fetched).
 */
export function classifyLink(url: string, allowedHosts: readonly string[] = []): SourceName | null {
  const parsed = parseLink(url);
  if (parsed) return parsed.source;
  return isAllowedHost(url, allowedHosts) ? 'youtube' : null;
}

/** Looks like a link to YouTube/Drive but does not parse: reported by validation as malformed. */
export function isMalformedKnownLink(url: string): boolean {
  const p = splitUrl(url);
  if (!p) return /youtu|google\.com/i.test(url);
  const known =
    YT_HOSTS.has(p.host) ||
    YT_SHORT_HOSTS.has(p.host) ||
    p.host === 'drive.google.com' ||
    p.host === 'docs.google.com' ||
    p.host === 'drive.usercontent.google.com';
  return known && parseLink(url) === null;
}

/** The media id the sheet records for a parsed link: video id, `playlist:<id>`, `channel:<id>`, or Drive id. */
export function mediaIdOf(link: ParsedLink): string {
  if (link.source === 'youtube' && link.kind === 'playlist') return `playlist:${link.id}`;
  if (link.source === 'youtube' && link.kind === 'channel') return `channel:${link.id}`;
  return link.id;
}
