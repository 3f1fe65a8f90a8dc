/**
 * The host guard: which links the worker may fetch, and which network destinations a download
 * may reach (design §2: YouTube, plus the hosts the configuration allows; anything else is
 * refused as `validation` and never fetched).
 *
 * Two layers:
 *  - `resolveLink` checks the link itself before anything is spawned;
 *  - `checkDestination` checks every connection a downloader makes (through guardProxy.ts), so a
 *    redirect or a page on an allowed host cannot point yt-dlp at 169.254.169.254 or localhost.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isAllowedHost, parseLink, splitUrl, type ParsedLink } from '../../../shared/links.js';
import { ArchiveError } from '../errors.js';
import { isSpecialAddress } from './addresses.js';

/** What a link may be archived as. `url` is what the downloader is given. */
export type LinkTarget =
  { kind: 'youtube'; parsed: Extract<ParsedLink, { source: 'youtube' }>; url: string } | { kind: 'allowed'; url: string; hostPort: string };

/** Canonical YouTube URL rebuilt from a parsed id (never the raw string). */
export function canonicalYouTubeUrl(p: Extract<ParsedLink, { source: 'youtube' }>): string {
  if (p.kind === 'playlist') return `https://www.youtube.com/playlist?list=${encodeURIComponent(p.id)}`;
  if (p.kind === 'channel') {
    // A channel without a tab archives its videos tab, newest first (docs/decisions.md).
    const path = p.id.split('/').map((s) => (s.startsWith('@') ? '@' + encodeURIComponent(s.slice(1)) : encodeURIComponent(s)));
    return `https://www.youtube.com/${p.id.startsWith('UC') ? 'channel/' : ''}${path.join('/')}/${p.tab ?? 'videos'}`;
  }
  return `https://www.youtube.com/watch?v=${encodeURIComponent(p.id)}`;
}

/**
 * Decides whether a sheet link may be fetched, and as what.
 * @param allowedHosts `host` or `host:port` entries (ARCHIVER_ALLOWED_HOSTS / --allow-host).
 * @throws ArchiveError('validation') for non-http(s) schemes (file://, ftp://, javascript:…),
 *   hosts that are neither YouTube nor allowed, and malformed YouTube links.
 */
export function resolveLink(link: string, allowedHosts: readonly string[]): LinkTarget {
  const raw = String(link ?? '').trim();
  if (!/^https?:\/\//i.test(raw)) throw new ArchiveError('validation', `refused: only http(s) links are fetched: ${raw.slice(0, 100)}`);
  const parts = splitUrl(raw);
  if (!parts) throw new ArchiveError('validation', `refused: not a valid URL: ${raw.slice(0, 100)}`);
  const parsed = parseLink(raw);
  if (parsed?.source === 'youtube') return { kind: 'youtube', parsed, url: canonicalYouTubeUrl(parsed) };
  if (parsed) throw new ArchiveError('validation', `refused: a ${parsed.source} link is not for the yt-dlp source`);
  const hostPort = parts.port ? `${parts.host}:${parts.port}` : parts.host;
  if (isAllowedHost(raw, allowedHosts)) return { kind: 'allowed', url: raw, hostPort };
  if (/(^|\.)(youtube\.com|youtu\.be|youtube-nocookie\.com)$/.test(parts.host)) {
    throw new ArchiveError('validation', `refused: not a recognised YouTube video, playlist or channel link: ${raw.slice(0, 100)}`);
  }
  throw new ArchiveError('validation', `refused: host ${hostPort} is not allowed (add it to ARCHIVER_ALLOWED_HOSTS to archive from it)`);
}

/** Resolves a host name to its addresses; injectable for tests. */
export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Ports an unlisted (public) host may be reached on. */
const PUBLIC_PORTS = new Set([80, 443]);

/**
 * Checks one connection a downloader wants to open and picks the address to connect to (the
 * checked one, so a DNS answer cannot change between check and connect).
 *
 * - A host (or host:port) listed in `allowedHosts` may be reached on any address, private ones
 *   included: it was listed on purpose (e.g. a media host on 127.0.0.1:PORT in tests).
 * - Any other host must resolve only to public unicast addresses, on port 80 or 443.
 * @throws ArchiveError('validation') naming the refused destination; ('network') when DNS fails.
 */
export async function checkDestination(
  host: string,
  port: number,
  allowedHosts: readonly string[],
  lookup: Lookup = defaultLookup,
): Promise<{ address: string; family: number }> {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  const display = isIP(h) === 6 ? `[${h}]:${port}` : `${h}:${port}`;
  const listed = isAllowedHost(`http://${display}/`, allowedHosts);
  let addrs: { address: string; family: number }[];
  if (isIP(h)) addrs = [{ address: h, family: isIP(h) }];
  else {
    try {
      addrs = await lookup(h);
    } catch (err) {
      throw new ArchiveError('network', `DNS lookup failed for ${h}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!addrs.length) throw new ArchiveError('network', `DNS lookup returned no address for ${h}`);
  if (listed) return addrs[0]!;
  if (!PUBLIC_PORTS.has(port)) throw new ArchiveError('validation', `blocked by archiver host guard: ${display} (port not allowed)`);
  const bad = addrs.find((a) => isSpecialAddress(a.address));
  if (bad)
    throw new ArchiveError('validation', `blocked by archiver host guard: ${display} resolves to a non-public address ${bad.address}`);
  return addrs[0]!;
}
