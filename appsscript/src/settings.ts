/**
 * Settings: the worker URL, sources, lease, allowed hosts and tab live in DocumentProperties
 * (shared by everyone using this document); the shared secret lives in UserProperties (each
 * user's own, never returned in full).
 * See https://developers.google.com/apps-script/guides/properties.
 */
import { SOURCES, type SourceName } from '../../shared/columns.js';
import { DEFAULT_LEASE_MS } from '../../shared/rows.js';
import type { SettingsInput, SettingsView } from './api.js';

const KEY = {
  workerUrl: 'archiver.workerUrl',
  sources: 'archiver.sources',
  leaseHours: 'archiver.leaseHours',
  allowedHosts: 'archiver.allowedHosts',
  sheetName: 'archiver.sheetName',
  secret: 'archiver.secret',
} as const;

/** Everything the server side needs, secret included. Never send this to the sidebar. */
export interface Settings {
  workerUrl: string;
  secret: string;
  sources: SourceName[];
  leaseMs: number;
  allowedHosts: string[];
  sheetName: string;
}

/** Reads all settings: two PropertiesService calls plus one getProperties each. */
export function readSettings(): Settings {
  const doc = PropertiesService.getDocumentProperties().getProperties();
  const secret = PropertiesService.getUserProperties().getProperty(KEY.secret) ?? '';
  const sources = (doc[KEY.sources] ?? 'youtube,drive')
    .split(',')
    .filter((s): s is SourceName => (SOURCES as readonly string[]).includes(s));
  const leaseHours = Number(doc[KEY.leaseHours] ?? '');
  return {
    workerUrl: doc[KEY.workerUrl] ?? '',
    secret,
    sources: sources.length ? sources : [...SOURCES],
    leaseMs: leaseHours > 0 ? leaseHours * 3_600_000 : DEFAULT_LEASE_MS,
    allowedHosts: (doc[KEY.allowedHosts] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    sheetName: doc[KEY.sheetName] ?? '',
  };
}

/** `••••3f9a`: the last four characters only; '' when no secret is saved. */
export function secretHint(secret: string): string {
  return secret ? '••••' + secret.slice(-4) : '';
}

/** The sidebar's view: no secret. */
export function settingsView(s: Settings): SettingsView {
  return {
    workerUrl: s.workerUrl,
    secretHint: secretHint(s.secret),
    sources: s.sources,
    leaseHours: s.leaseMs / 3_600_000,
    allowedHosts: s.allowedHosts,
    sheetName: s.sheetName,
  };
}

/**
 * The worker's base URL without a trailing slash, e.g. `https://worker.example.org` or
 * `https://example.org/archiver`.
 * @throws Error with a plain message when the URL is not http(s) or has a query/fragment.
 */
export function normalizeWorkerUrl(input: string): string {
  const s = String(input ?? '').trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(s)) {
    throw new Error(`"${input}" is not a worker URL: use https://host or https://host/path (no query)`);
  }
  return s;
}

/**
 * Validates and stores the settings the sidebar sent.
 * @throws Error with a plain message naming the bad field; nothing is stored then.
 */
export function writeSettings(input: SettingsInput): void {
  const doc: Record<string, string> = {};
  if (input.workerUrl !== undefined) doc[KEY.workerUrl] = input.workerUrl.trim() ? normalizeWorkerUrl(input.workerUrl) : '';
  if (input.sources !== undefined) {
    const sources = input.sources.filter((s) => (SOURCES as readonly string[]).includes(s));
    if (!sources.length) throw new Error('Pick at least one source (YouTube or Drive).');
    doc[KEY.sources] = sources.join(',');
  }
  if (input.leaseHours !== undefined) {
    const h = Number(input.leaseHours);
    if (!(h >= 0.25 && h <= 72)) throw new Error('The lease must be between 0.25 and 72 hours.');
    doc[KEY.leaseHours] = String(h);
  }
  if (input.allowedHosts !== undefined) {
    const hosts = input.allowedHosts.map((h) => String(h).trim().toLowerCase()).filter(Boolean);
    for (const h of hosts) if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(h)) throw new Error(`"${h}" is not a host or host:port.`);
    doc[KEY.allowedHosts] = hosts.join(',');
  }
  let secret: string | undefined;
  if (input.secret !== undefined && input.secret.trim() !== '') {
    secret = input.secret.trim();
    if (secret.length < 16) throw new Error('The shared secret must be at least 16 characters.');
  }
  if (Object.keys(doc).length) PropertiesService.getDocumentProperties().setProperties(doc);
  if (secret !== undefined) PropertiesService.getUserProperties().setProperty(KEY.secret, secret);
}

/** Remembers the tab the add-on works on (set when tracking columns are added). */
export function rememberSheetName(name: string): void {
  PropertiesService.getDocumentProperties().setProperty(KEY.sheetName, name);
}
