/**
 * Webhook endpoints (docs/design.md §9) from `ARCHIVER_WEBHOOK_URLS`: entries separated by spaces
 * or newlines, each `URL` or `URL|type,type…` where a type is an event type (`job.failed`) or a
 * prefix wildcard (`job.*`). No filter: every event. Only http(s); a literal private, loopback or
 * link-local IP is refused here (start-up) unless its host:port is in ARCHIVER_ALLOWED_HOSTS;
 * names are checked again after DNS at every delivery (deliver.ts).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { isAllowedHost } from '../../../shared/links.js';
import { EVENT_TYPES } from '../events/types.js';
import { isSpecialAddress } from '../net/addresses.js';

/** The test event `webhooks test` sends; never stored in the event log. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** One configured receiver. `id` is stable per URL (first 12 hex of its SHA-256). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** event types or `prefix.*` patterns; null: every event */
  events: string[] | null;
}

/** The id an endpoint URL is stored under. */
export function endpointId(url: string): string {
  return 'wh_' + createHash('sha256').update(url).digest('hex').slice(0, 12);
}

/** A URL for logs and listings: no userinfo, no query (either may hold a token). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
}

/** Whether an endpoint's filter takes an event type (webhook.test always passes). */
export function wants(ep: Pick<WebhookEndpoint, 'events'>, type: string): boolean {
  if (type === TEST_EVENT_TYPE || !ep.events) return true;
  return ep.events.some((p) => (p.endsWith('.*') ? type.startsWith(p.slice(0, -1)) : p === type));
}

const KNOWN = new Set<string>(EVENT_TYPES);
const KNOWN_PREFIXES = new Set(EVENT_TYPES.map((t) => t.slice(0, t.indexOf('.') + 1)));

/**
 * Checks one webhook URL: http(s), parseable, no literal non-public IP unless allowed.
 * @returns null when fine, else the reason (without the URL).
 */
export function urlProblem(url: string, allowedHosts: readonly string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `scheme ${u.protocol} is not allowed (https or http only)`;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isSpecialAddress(host) && !isAllowedHost(url, allowedHosts)) {
    return `${u.host} is a private, loopback or link-local address (list ${u.host} in ARCHIVER_ALLOWED_HOSTS to allow it)`;
  }
  return null;
}

/**
 * Parses ARCHIVER_WEBHOOK_URLS.
 * @throws Error naming the bad entry (its display form) and why; env.ts turns it into a ConfigError.
 */
export function parseWebhookUrls(value: string | undefined, allowedHosts: readonly string[]): WebhookEndpoint[] {
  const out: WebhookEndpoint[] = [];
  for (const entry of (value ?? '').split(/\s+/).filter(Boolean)) {
    const bar = entry.indexOf('|');
    const url = bar < 0 ? entry : entry.slice(0, bar);
    const problem = urlProblem(url, allowedHosts);
    if (problem) throw new Error(`entry "${displayUrl(url)}": ${problem}`);
    let events: string[] | null = null;
    if (bar >= 0) {
      events = entry
        .slice(bar + 1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (!events.length) throw new Error(`entry "${displayUrl(url)}": empty event filter after "|" (drop the "|" for every event)`);
      for (const t of events) {
        const ok = t.endsWith('.*') ? KNOWN_PREFIXES.has(t.slice(0, -1)) : KNOWN.has(t);
        if (!ok)
          throw new Error(
            `entry "${displayUrl(url)}": unknown event type "${t}" (one of ${EVENT_TYPES.join(', ')}, or job.*, run.*, alert.*)`,
          );
      }
    }
    const id = endpointId(url);
    if (out.some((e) => e.id === id)) throw new Error(`entry "${displayUrl(url)}": listed twice`);
    out.push({ id, url, events });
  }
  return out;
}

/** A fingerprint of the whole endpoint list: when it changes, endpoints disabled by a 410 are enabled again. */
export function configFingerprint(endpoints: readonly WebhookEndpoint[]): string {
  return createHash('sha256')
    .update(JSON.stringify(endpoints.map((e) => [e.url, e.events])))
    .digest('hex')
    .slice(0, 16);
}
