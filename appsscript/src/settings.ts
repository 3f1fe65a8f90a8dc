/**
 * Settings: the worker URL, sources, lease, allowed hosts and tab live in DocumentProperties
 * (shared by everyone using this document); the shared secret lives in UserProperties under a key
 * that includes the spreadsheet id (`archiver.secret.<spreadsheetId>`), so each user keeps one
 * secret per document and two documents that talk to two workers never overwrite each other's.
 * See https://developers.google.com/apps-script/guides/properties.
 *
 * A scheduled run may start without DocumentProperties (context.ts); for it each user keeps a copy
 * of the document's settings under `archiver.docSettings.<spreadsheetId>`, refreshed whenever that
 * user saves settings, turns the schedule on or a scheduled run can read the real ones.
 */
import { SOURCES, type SourceName } from '../../shared/columns.js';
import { DEFAULT_LEASE_MS } from '../../shared/rows.js';
import { parseDuration } from '../../shared/duration.js';
import type { SettingsInput, SettingsView } from './api.js';
import { documentProperties } from './context.js';
import { URL_FETCH_WHITELIST, allowedByWhitelist } from './manifest.js';

const KEY = {
  workerUrl: 'archiver.workerUrl',
  sources: 'archiver.sources',
  leaseHours: 'archiver.leaseHours',
  allowedHosts: 'archiver.allowedHosts',
  sheetName: 'archiver.sheetName',
  /** `7d`, `12h`…: completed Drive rows are dispatched again after this (shared/rows.ts driveRearchiveAfterMs) */
  driveRearchiveAfter: 'archiver.driveRearchiveAfter',
} as const;

/** UserProperties key of this user's secret for one document. */
export function secretKey(spreadsheetId: string): string {
  return `archiver.secret.${spreadsheetId}`;
}
/** UserProperties key of this user's copy of one document's settings. */
export function mirrorKey(spreadsheetId: string): string {
  return `archiver.docSettings.${spreadsheetId}`;
}

/** Everything the server side needs, secret included. Never send this to the sidebar. */
export interface Settings {
  spreadsheetId: string;
  workerUrl: string;
  secret: string;
  sources: SourceName[];
  leaseMs: number;
  allowedHosts: string[];
  sheetName: string;
  /** completed Drive rows are due again after this, ms (DocumentProperties `archiver.driveRearchiveAfter`, e.g. `7d`); unset: never */
  driveRearchiveAfterMs?: number;
}

/** The document-level keys only (what DocumentProperties and the per-user copy hold). */
function documentPart(all: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.values(KEY)) if (all[k] !== undefined) out[k] = all[k]!;
  return out;
}

/**
 * The document's settings map: DocumentProperties when this execution has them, else this user's
 * copy (see the module doc), else {}.
 */
export function documentSettings(spreadsheetId: string): { values: Record<string, string>; fromCopy: boolean } {
  const store = documentProperties();
  if (store) return { values: documentPart(store.getProperties()), fromCopy: false };
  const raw = PropertiesService.getUserProperties().getProperty(mirrorKey(spreadsheetId));
  try {
    return { values: raw ? (JSON.parse(raw) as Record<string, string>) : {}, fromCopy: true };
  } catch {
    return { values: {}, fromCopy: true };
  }
}

/** Stores this user's copy of the document's settings when it differs (one read, at most one write). */
export function refreshSettingsCopy(spreadsheetId: string, values: Record<string, string>): void {
  const user = PropertiesService.getUserProperties();
  const text = JSON.stringify(documentPart(values));
  if (user.getProperty(mirrorKey(spreadsheetId)) !== text) user.setProperty(mirrorKey(spreadsheetId), text);
}

/** Settings from a document-settings map plus the user's secret for that document. */
export function settingsFrom(spreadsheetId: string, doc: Record<string, string>, secret: string): Settings {
  const sources = (doc[KEY.sources] ?? 'youtube,drive')
    .split(',')
    .filter((s): s is SourceName => (SOURCES as readonly string[]).includes(s));
  const leaseHours = Number(doc[KEY.leaseHours] ?? '');
  const rearchive = parseDuration(doc[KEY.driveRearchiveAfter] ?? '');
  return {
    spreadsheetId,
    workerUrl: doc[KEY.workerUrl] ?? '',
    secret,
    sources: sources.length ? sources : [...SOURCES],
    leaseMs: leaseHours > 0 ? leaseHours * 3_600_000 : DEFAULT_LEASE_MS,
    allowedHosts: (doc[KEY.allowedHosts] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    sheetName: doc[KEY.sheetName] ?? '',
    ...(rearchive ? { driveRearchiveAfterMs: rearchive } : {}),
  };
}

/** Reads all settings for a document: one DocumentProperties read and one UserProperties read. */
export function readSettings(spreadsheetId: string): Settings {
  const doc = documentSettings(spreadsheetId).values;
  const secret = PropertiesService.getUserProperties().getProperty(secretKey(spreadsheetId)) ?? '';
  return settingsFrom(spreadsheetId, doc, secret);
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
    ...(s.driveRearchiveAfterMs ? { driveRearchiveAfter: formatDuration(s.driveRearchiveAfterMs) } : {}),
  };
}

/** ms → the largest whole unit of `7d`, `12h`, `90m`, `30s` (parseDuration reads it back). */
function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The worker's base URL without a trailing slash, e.g. `https://worker.example.org`.
 * @throws Error with a plain message when the URL is not https, has a query/fragment, or is not
 *   covered by the manifest's urlFetchWhitelist (Apps Script would refuse every request to it).
 */
export function normalizeWorkerUrl(input: string, whitelist: readonly string[] = URL_FETCH_WHITELIST): string {
  const s = String(input ?? '')
    .trim()
    .replace(/\/+$/, '');
  if (/^http:\/\//i.test(s))
    throw new Error(
      `"${input}" uses http: Apps Script only calls https URLs listed in the add-on's urlFetchWhitelist. Use the worker's https URL.`,
    );
  if (!/^https:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(s)) throw new Error(`"${input}" is not a worker URL: use https://host (no query)`);
  if (whitelist.length && !allowedByWhitelist(s + '/v1/dispatch', whitelist))
    throw new Error(
      `The worker URL ${s} is not covered by this add-on's urlFetchWhitelist (${whitelist.join(', ')}), so Apps Script would refuse every request to it. ` +
        `Use that URL, or rebuild and push the add-on with ARCHIVER_WORKER_URL=${s} (docs/addon.md).`,
    );
  return s;
}

/**
 * Validates and stores the settings the sidebar sent, for the document `spreadsheetId`.
 * @throws Error with a plain message naming the bad field; nothing is stored then.
 */
export function writeSettings(input: SettingsInput, spreadsheetId: string): void {
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
  if (input.driveRearchiveAfter !== undefined) {
    const text = String(input.driveRearchiveAfter).trim();
    if (text && parseDuration(text) === null)
      throw new Error(`Re-archive Drive rows after: "${text}" is not a duration like 12h, 7d or 2w (empty: never).`);
    doc[KEY.driveRearchiveAfter] = text;
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
  const store = documentProperties();
  if (!store) throw new Error('This spreadsheet is not open: settings can only be saved from its sidebar.');
  if (Object.keys(doc).length) store.setProperties(doc);
  if (secret !== undefined) PropertiesService.getUserProperties().setProperty(secretKey(spreadsheetId), secret);
  refreshSettingsCopy(spreadsheetId, store.getProperties());
}

/** Remembers the tab the add-on works on (set when tracking columns are added). */
export function rememberSheetName(name: string): void {
  documentProperties()?.setProperty(KEY.sheetName, name);
}
