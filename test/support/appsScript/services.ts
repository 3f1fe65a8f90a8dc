/**
 * PropertiesService, LockService, UrlFetchApp, Utilities, ScriptApp, HtmlService, Session and
 * Logger stand-ins, following the Apps Script reference
 * (https://developers.google.com/apps-script/reference). Each documents the behaviour it copies.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { counted } from './counter.js';
import { AUTH_SCOPE, requireAuth, requireScope, type HarnessEnv } from './env.js';
import { storeOf, type FakeTriggerRecord } from './state.js';
import { SyncHttp, type SyncRequest } from './syncHttp.js';

/** Apps Script's Byte[]: Java bytes, -128…127. */
export function toSignedBytes(buf: Uint8Array): number[] {
  return Array.from(buf, (b) => (b > 127 ? b - 256 : b));
}
function fromBytesOrString(v: unknown, charset = 'UTF-8'): Buffer {
  if (Array.isArray(v)) return Buffer.from(v.map((b: number) => ((b % 256) + 256) % 256));
  return Buffer.from(String(v), /ascii/i.test(charset) ? 'latin1' : 'utf8');
}

// ---------------------------------------------------------------- PropertiesService
/**
 * Properties (https://developers.google.com/apps-script/reference/properties/properties):
 * string values; getProperty of a missing key is null; a value over 9 kB throws.
 */
function makeProperties(env: HarnessEnv, store: Map<string, string>, name: string) {
  const check = (k: string, v: string) => {
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > 9 * 1024) throw new Error(`Argument too large: value (property ${k})`);
  };
  const p = {
    getProperty: (k: string) => store.get(String(k)) ?? null,
    setProperty(k: string, v: unknown) {
      check(String(k), String(v));
      store.set(String(k), String(v));
      return p;
    },
    getProperties: () => Object.fromEntries(store),
    setProperties(obj: Record<string, unknown>, deleteAllOthers = false) {
      if (deleteAllOthers) store.clear();
      for (const [k, v] of Object.entries(obj)) {
        check(k, String(v));
        store.set(k, String(v));
      }
      return p;
    },
    getKeys: () => [...store.keys()],
    deleteProperty(k: string) {
      store.delete(String(k));
      return p;
    },
    deleteAllProperties() {
      store.clear();
      return p;
    },
  };
  return counted(p, name, env.counter);
}

export function makePropertiesService(env: HarnessEnv) {
  return counted(
    {
      /** null without a containing document ("When document properties are not available this method returns null"). */
      getDocumentProperties() {
        requireAuth(env, 'PropertiesService.getDocumentProperties');
        if (!env.documentContext) return null;
        return makeProperties(env, storeOf(env.state.documentProperties, env.spreadsheetId), 'DocumentProperties');
      },
      getUserProperties() {
        requireAuth(env, 'PropertiesService.getUserProperties');
        return makeProperties(env, storeOf(env.state.userProperties, env.user), 'UserProperties');
      },
      getScriptProperties() {
        requireAuth(env, 'PropertiesService.getScriptProperties');
        return makeProperties(env, env.state.scriptProperties, 'ScriptProperties');
      },
    },
    'PropertiesService',
    env.counter,
  );
}

// ---------------------------------------------------------------- CacheService
/** per-user caches, by harness state (so several loadAddon calls sharing a state share them, as one script does) */
const userCaches = new WeakMap<object, Map<string, Map<string, { value: string; expiresAt: number }>>>();

/**
 * CacheService.getUserCache (https://developers.google.com/apps-script/reference/cache/cache-service#getUserCache()):
 * one cache per effective user. Cache.get returns null for a missing or expired key; put(key,
 * value, expirationInSeconds) keeps it that long, default 600 s, at most 21600 s
 * (https://developers.google.com/apps-script/reference/cache/cache#put(String,String,Integer));
 * values over 100 KB are refused. Expiry follows the harness clock (env.now).
 */
export function makeCacheService(env: HarnessEnv) {
  const cacheOf = () => {
    let byUser = userCaches.get(env.state);
    if (!byUser) userCaches.set(env.state, (byUser = new Map()));
    let c = byUser.get(env.user);
    if (!c) byUser.set(env.user, (c = new Map()));
    return c;
  };
  const cache = {
    get(key: string): string | null {
      const e = cacheOf().get(key);
      if (!e || e.expiresAt <= env.now()) return null;
      return e.value;
    },
    put(key: string, value: string, expirationInSeconds = 600): void {
      if (value.length > 100 * 1024) throw new Error('Argument too large: value');
      const s = Math.min(21_600, Math.max(1, expirationInSeconds));
      cacheOf().set(key, { value, expiresAt: env.now() + s * 1000 });
    },
    remove(key: string): void {
      cacheOf().delete(key);
    },
  };
  return counted(
    {
      getUserCache() {
        requireAuth(env, 'CacheService.getUserCache');
        return counted(cache, 'Cache', env.counter);
      },
    },
    'CacheService',
    env.counter,
  );
}

// ---------------------------------------------------------------- LockService
/**
 * Lock (https://developers.google.com/apps-script/reference/lock/lock): tryLock returns false
 * when another execution holds the lock (here: `state.documentLocks` has the document), without
 * actually waiting; waitLock throws instead; releaseLock is a no-op without the lock.
 */
export function makeLockService(env: HarnessEnv) {
  const documentLock = (key = env.spreadsheetId) => {
    let mine = false;
    const lock = {
      tryLock(_timeoutMs: number) {
        if (mine) return true;
        if (env.state.documentLocks.has(key)) return false;
        env.state.documentLocks.add(key);
        mine = true;
        return true;
      },
      waitLock(timeoutMs: number) {
        if (!lock.tryLock(timeoutMs)) throw new Error('Lock timeout: another process was holding the lock for too long.');
      },
      hasLock: () => mine,
      releaseLock() {
        if (mine) env.state.documentLocks.delete(key);
        mine = false;
      },
    };
    return counted(lock, 'Lock', env.counter);
  };
  return counted(
    {
      /** null "if called from outside the context of a containing document" (lock-service#getDocumentLock()). */
      getDocumentLock() {
        requireAuth(env, 'LockService.getDocumentLock');
        return env.documentContext ? documentLock() : null;
      },
      /** A lock per user (lock-service#getUserLock()): held in state.documentLocks under `user:<email>`. */
      getUserLock() {
        requireAuth(env, 'LockService.getUserLock');
        return documentLock(`user:${env.user}`);
      },
    },
    'LockService',
    env.counter,
  );
}

// ---------------------------------------------------------------- UrlFetchApp
export interface FetchHookRequest {
  url: string;
  method: string;
}

/**
 * HTTPResponse (https://developers.google.com/apps-script/reference/url-fetch/http-response).
 * getHeaders returns one value per name; getContent returns signed bytes.
 */
function makeResponse(env: HarnessEnv, status: number, headers: Record<string, string>, body: Buffer) {
  return counted(
    {
      getResponseCode: () => status,
      getContentText: (charset?: string) => body.toString(charset && /ascii|latin|8859/i.test(charset) ? 'latin1' : 'utf8'),
      getContent: () => toSignedBytes(body),
      getHeaders: () => ({ ...headers }),
      getAllHeaders: () => ({ ...headers }),
      getBlob: () => ({
        getDataAsString: () => body.toString('utf8'),
        getBytes: () => toSignedBytes(body),
        getContentType: () => headers['content-type'] ?? null,
      }),
    },
    'HTTPResponse',
    env.counter,
  );
}

type FetchParams = {
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  payload?: unknown;
  contentType?: string;
  muteHttpExceptions?: boolean;
  followRedirects?: boolean;
  validateHttpsCertificates?: boolean;
};

/**
 * UrlFetchApp (https://developers.google.com/apps-script/reference/url-fetch/url-fetch-app), doing
 * real HTTP synchronously. Semantics copied: method defaults to GET; a string payload is sent as
 * is with `contentType` (default application/x-www-form-urlencoded), an object payload is form
 * encoded; redirects are followed unless followRedirects is false; an HTTP status ≥ 400 throws
 * `Request failed for <url> returned code <n>` unless muteHttpExceptions; a network failure
 * always throws (`Address unavailable: <url>`), and in fetchAll one failure fails the whole call.
 */
export function makeUrlFetchApp(
  env: HarnessEnv,
  http: SyncHttp,
  opts: { timeoutMs: number; onFetch?: (reqs: FetchHookRequest[]) => void },
) {
  const toRequest = (r: string | FetchParams, params?: FetchParams): { req: SyncRequest; mute: boolean } => {
    const p: FetchParams = typeof r === 'string' ? { ...(params ?? {}), url: r } : r;
    if (!p.url || !/^https?:\/\//i.test(p.url)) throw new Error(`Invalid argument: ${p.url}`);
    const method = (p.method ?? 'get').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.headers ?? {})) headers[k] = String(v);
    let body: string | undefined;
    if (p.payload !== undefined && p.payload !== null && method !== 'GET') {
      if (typeof p.payload === 'string') body = p.payload;
      else if (Array.isArray(p.payload)) body = fromBytesOrString(p.payload).toString('latin1');
      else body = new URLSearchParams(Object.entries(p.payload as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString();
      headers['Content-Type'] = p.contentType ?? 'application/x-www-form-urlencoded';
    }
    return {
      req: { url: p.url, method, headers, body, followRedirects: p.followRedirects !== false, timeoutMs: opts.timeoutMs },
      mute: !!p.muteHttpExceptions,
    };
  };
  const run = (items: { req: SyncRequest; mute: boolean }[]) => {
    requireAuth(env, 'UrlFetchApp.fetch');
    requireScope(env, 'UrlFetchApp.fetch', [AUTH_SCOPE.externalRequest]);
    // The allow-list (https://developers.google.com/apps-script/manifest/allowlist-url): with
    // urlFetchWhitelist set, only URLs under one of its https prefixes may be fetched, so http is refused.
    const allow = env.manifest.urlFetchWhitelist;
    if (allow)
      for (const { req } of items)
        if (!whitelisted(req.url, allow))
          throw new Error(
            `Exception: Request to ${req.url} is not allowed: it is not covered by the urlFetchWhitelist in the manifest (${allow.join(', ')}).`,
          );
    env.counter.add('UrlFetchApp.request', items.length);
    opts.onFetch?.(items.map((i) => ({ url: i.req.url, method: i.req.method })));
    const results = http.requestAll(items.map((i) => i.req));
    return results.map((res, n) => {
      const { req, mute } = items[n]!;
      if (!res.ok) throw new Error(`Address unavailable: ${req.url} (${res.error})`);
      const body = Buffer.from(res.bodyBase64, 'base64');
      if (res.status >= 400 && !mute)
        throw new Error(
          `Request failed for ${req.url} returned code ${res.status}. Truncated server response: ${body.toString('utf8').slice(0, 100)} (use muteHttpExceptions option to examine full response)`,
        );
      return makeResponse(env, res.status, res.headers, body);
    });
  };
  return counted(
    {
      fetch: (url: string | FetchParams, params?: FetchParams) => run([toRequest(url, params)])[0],
      fetchAll: (requests: (string | FetchParams)[]) => run(requests.map((r) => toRequest(r))),
    },
    'UrlFetchApp',
    env.counter,
  );
}

/**
 * Google's prefix rules (manifest/allowlist-url): https only; scheme and host case-insensitive,
 * `*.` matches subdomains; the path is case-sensitive and matches when equal to the prefix or a
 * child of it (after `/`, `?` or `#`, or anything when the prefix ends with `/`).
 */
export function whitelisted(url: string, prefixes: readonly string[]): boolean {
  const split = (u: string) => {
    const m = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(u);
    return m ? { scheme: m[1]!.toLowerCase(), host: m[2]!.toLowerCase(), rest: m[3] || '/' } : null;
  };
  const u = split(url);
  if (!u || u.scheme !== 'https') return false;
  return prefixes.some((p) => {
    const q = split(p);
    if (!q || q.scheme !== 'https') return false;
    const host = q.host.startsWith('*.') ? u.host.endsWith(q.host.slice(1)) : u.host === q.host;
    if (!host) return false;
    if (u.rest === q.rest) return true;
    return u.rest.startsWith(q.rest) && (q.rest.endsWith('/') || /^[/?#]/.test(u.rest.slice(q.rest.length)));
  });
}

// ---------------------------------------------------------------- Utilities
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Utilities.formatDate with the SimpleDateFormat letters the add-on can use: yyyy yy MM dd HH mm
 * ss SSS, 'quoted literals', and X/Z (offset; 'Z' literal for UTC with X).
 */
export function formatDate(date: Date, timeZone: string, pattern: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const local = Date.UTC(+parts['year']!, +parts['month']! - 1, +parts['day']!, +parts['hour']!, +parts['minute']!, +parts['second']!);
  const offMin = Math.round((local - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  const offset = (sep: string) => `${offMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offMin) / 60))}${sep}${pad(Math.abs(offMin) % 60)}`;
  return pattern.replace(/'([^']*)'|yyyy|yy|MM|dd|HH|mm|ss|SSS|XXX|X|Z/g, (tok, lit: string | undefined) => {
    if (lit !== undefined) return lit === '' ? "'" : lit;
    switch (tok) {
      case 'yyyy':
        return parts['year']!;
      case 'yy':
        return parts['year']!.slice(-2);
      case 'MM':
        return parts['month']!;
      case 'dd':
        return parts['day']!;
      case 'HH':
        return parts['hour']!;
      case 'mm':
        return parts['minute']!;
      case 'ss':
        return parts['second']!;
      case 'SSS':
        return pad(date.getUTCMilliseconds(), 3);
      case 'XXX':
        return offMin === 0 ? 'Z' : offset(':');
      case 'X':
        return offMin === 0 ? 'Z' : offset('');
      default:
        return offset('');
    }
  });
}

/**
 * Utilities (https://developers.google.com/apps-script/reference/utilities/utilities):
 * computeHmacSha256Signature(value, key[, charset]) returns SIGNED bytes like Java; strings are
 * encoded with the charset (default UTF-8); base64Encode/Decode; getUuid; formatDate; sleep.
 */
export function makeUtilities(env: HarnessEnv, opts: { uuid?: () => string; onSleep?: (ms: number) => void }) {
  return counted(
    {
      Charset: { UTF_8: 'UTF-8', US_ASCII: 'US-ASCII' },
      DigestAlgorithm: { MD5: 'md5', SHA_1: 'sha1', SHA_256: 'sha256', SHA_512: 'sha512' },
      computeHmacSha256Signature: (value: unknown, key: unknown, charset?: string) =>
        toSignedBytes(createHmac('sha256', fromBytesOrString(key, charset)).update(fromBytesOrString(value, charset)).digest()),
      computeDigest: (algorithm: string, value: unknown, charset?: string) =>
        toSignedBytes(createHash(algorithm).update(fromBytesOrString(value, charset)).digest()),
      base64Encode: (data: unknown, charset?: string) => fromBytesOrString(data, charset).toString('base64'),
      base64EncodeWebSafe: (data: unknown, charset?: string) =>
        fromBytesOrString(data, charset).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
      base64Decode: (encoded: string) => toSignedBytes(Buffer.from(String(encoded), 'base64')),
      newBlob: (data: unknown) => ({
        getDataAsString: () => fromBytesOrString(data).toString('utf8'),
        getBytes: () => toSignedBytes(fromBytesOrString(data)),
      }),
      getUuid: () => (opts.uuid ? opts.uuid() : randomUUID()),
      formatDate: (date: Date, timeZone: string, format: string) => formatDate(date, timeZone, format),
      sleep(ms: number) {
        if (opts.onSleep) opts.onSleep(ms);
        else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(ms, 300_000));
      },
    },
    'Utilities',
    env.counter,
  );
}

// ---------------------------------------------------------------- ScriptApp
export const AuthMode = { NONE: 'NONE', CUSTOM_FUNCTION: 'CUSTOM_FUNCTION', LIMITED: 'LIMITED', FULL: 'FULL' } as const;
export const AuthorizationStatus = { REQUIRED: 'REQUIRED', NOT_REQUIRED: 'NOT_REQUIRED' } as const;

function makeTrigger(env: HarnessEnv, t: FakeTriggerRecord) {
  return counted(
    {
      getUniqueId: () => t.id,
      getHandlerFunction: () => t.handler,
      getEventType: () => t.eventType,
      getTriggerSource: () => 'CLOCK',
      getTriggerSourceId: () => t.sourceId,
    },
    'Trigger',
    env.counter,
  );
}

/**
 * ScriptApp (https://developers.google.com/apps-script/reference/script/script-app) for an
 * Editor add-on: getUserTriggers(document) lists the current user's triggers in that document;
 * newTrigger(fn).timeBased().everyHours(n).create() makes a time-driven trigger bound to the
 * active document. Add-on limits are enforced: at most one time-driven trigger per user per
 * document, and no more often than hourly
 * (https://developers.google.com/workspace/add-ons/concepts/editor-triggers#restrictions).
 */
export function makeScriptApp(env: HarnessEnv) {
  const builder = (handler: string) => {
    let hours = 0;
    const clock = {
      everyHours(n: number) {
        hours = n;
        return clock;
      },
      everyMinutes(n: number) {
        hours = n / 60;
        return clock;
      },
      create() {
        requireAuth(env, 'ClockTriggerBuilder.create');
        requireScope(env, 'ClockTriggerBuilder.create', [AUTH_SCOPE.scriptApp]);
        if (!(hours >= 1)) throw new Error('Add-ons may not create time-based triggers that run more often than once an hour.');
        const mine = env.state.triggers.filter((t) => t.user === env.user && t.sourceId === env.spreadsheetId && t.eventType === 'CLOCK');
        if (mine.length >= 1)
          throw new Error('This add-on has created too many time-based triggers in this document for this Google user account.');
        const t: FakeTriggerRecord = {
          id: String(env.state.nextTriggerId++),
          handler,
          user: env.user,
          sourceId: env.spreadsheetId,
          eventType: 'CLOCK',
          everyHours: hours,
        };
        env.state.triggers.push(t);
        return makeTrigger(env, t);
      },
    };
    return { timeBased: () => counted(clock, 'ClockTriggerBuilder', env.counter) };
  };
  /**
   * AuthorizationInfo (https://developers.google.com/apps-script/reference/script/authorization-info):
   * for the given scopes (default: the manifest's), REQUIRED when any is not granted, the
   * authorization URL then (null otherwise), and the granted ones among them.
   */
  const authorizationInfo = (mode: string, scopes?: string[]) => {
    const asked = scopes ?? env.manifest.oauthScopes;
    const granted = asked.filter((x) => env.grantedScopes.has(x));
    const required = mode === AuthMode.FULL && granted.length < asked.length;
    return counted(
      {
        getAuthorizationStatus: () => (required ? AuthorizationStatus.REQUIRED : AuthorizationStatus.NOT_REQUIRED),
        getAuthorizationUrl: () => (required ? 'https://script.google.com/macros/d/FAKE_SCRIPT_ID/authorize' : null),
        getAuthorizedScopes: () => granted,
      },
      'AuthorizationInfo',
      env.counter,
    );
  };
  const userTriggerScope = (what: string) => requireScope(env, what, [AUTH_SCOPE.scriptApp]);
  return counted(
    {
      AuthMode,
      AuthorizationStatus,
      getAuthorizationInfo: (mode: string, scopes?: string[]) => authorizationInfo(mode, scopes),
      /**
       * requireScopes (script-app#requireScopes(AuthMode,String)): "If not, the execution ends and
       * prompts the user for authorization" — here: throws, so nothing after it runs.
       */
      requireScopes(mode: string, scopes: string[]) {
        const missing = scopes.filter((x) => !env.grantedScopes.has(x));
        if (mode === AuthMode.FULL && missing.length)
          throw new Error(`Authorization is required to perform that action. Missing: ${missing.join(', ')}`);
      },
      requireAllScopes(mode: string) {
        const missing = env.manifest.oauthScopes.filter((x) => !env.grantedScopes.has(x));
        if (mode === AuthMode.FULL && missing.length)
          throw new Error(`Authorization is required to perform that action. Missing: ${missing.join(', ')}`);
      },
      EventType: { CLOCK: 'CLOCK', ON_OPEN: 'ON_OPEN', ON_EDIT: 'ON_EDIT' },
      TriggerSource: { CLOCK: 'CLOCK', SPREADSHEETS: 'SPREADSHEETS' },
      getUserTriggers(doc: { getId(): string }) {
        requireAuth(env, 'ScriptApp.getUserTriggers');
        userTriggerScope('ScriptApp.getUserTriggers');
        const id = doc.getId();
        return env.state.triggers.filter((t) => t.user === env.user && t.sourceId === id).map((t) => makeTrigger(env, t));
      },
      getProjectTriggers() {
        requireAuth(env, 'ScriptApp.getProjectTriggers');
        return env.state.triggers.filter((t) => t.user === env.user).map((t) => makeTrigger(env, t));
      },
      newTrigger: (handler: string) => counted(builder(handler), 'TriggerBuilder', env.counter),
      deleteTrigger(trigger: { getUniqueId(): string }) {
        requireAuth(env, 'ScriptApp.deleteTrigger');
        userTriggerScope('ScriptApp.deleteTrigger');
        const id = trigger.getUniqueId();
        const i = env.state.triggers.findIndex((t) => t.id === id && t.user === env.user);
        if (i >= 0) env.state.triggers.splice(i, 1);
      },
    },
    'ScriptApp',
    env.counter,
  );
}

// ---------------------------------------------------------------- HtmlService, Session, Logger
/** HtmlService: createHtmlOutputFromFile('sidebar') reads `<distDir>/sidebar.html`, as pushed by clasp. */
export function makeHtmlService(env: HarnessEnv) {
  const output = (content: string) => {
    let title = '';
    const o = {
      setTitle(t: string) {
        title = t;
        return o;
      },
      getTitle: () => title,
      getContent: () => content,
      setWidth() {
        return o;
      },
      setHeight() {
        return o;
      },
      setSandboxMode() {
        return o;
      },
      setXFrameOptionsMode() {
        return o;
      },
      addMetaTag() {
        return o;
      },
      append(s: string) {
        content += s;
        return o;
      },
    };
    return counted(o, 'HtmlOutput', env.counter);
  };
  return counted(
    {
      SandboxMode: { IFRAME: 'IFRAME', NATIVE: 'NATIVE', EMULATED: 'EMULATED' },
      XFrameOptionsMode: { ALLOWALL: 'ALLOWALL', DEFAULT: 'DEFAULT' },
      createHtmlOutputFromFile(name: string) {
        const file = join(env.distDir, name.endsWith('.html') ? name : `${name}.html`);
        return output(readFileSync(file, 'utf8'));
      },
      createHtmlOutput: (html = '') => output(html),
    },
    'HtmlService',
    env.counter,
  );
}

/** Session: the user is env.user; getTemporaryActiveUserKey is a stable hash of it. */
export function makeSession(env: HarnessEnv) {
  const user = () => ({ getEmail: () => env.user });
  return counted(
    {
      getActiveUser: user,
      getEffectiveUser: user,
      getScriptTimeZone: () => env.timeZone,
      getTemporaryActiveUserKey: () => createHash('sha256').update(env.user).digest('base64url').slice(0, 24),
      getActiveUserLocale: () => 'en',
    },
    'Session',
    env.counter,
  );
}

export function makeLogger(env: HarnessEnv, lines: string[]) {
  return counted(
    {
      log(fmt: unknown, ...args: unknown[]) {
        lines.push([fmt, ...args].map(String).join(' '));
      },
    },
    'Logger',
    env.counter,
  );
}
