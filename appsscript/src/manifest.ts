/**
 * What the build (appsscript/build.mjs) wrote into appsscript.json, compiled in so settings can be
 * checked against it at save time: UrlFetchApp may only call URLs under these prefixes
 * (https://developers.google.com/apps-script/manifest/allowlist-url).
 */
declare const __URL_FETCH_WHITELIST__: string[] | undefined;

/** The manifest's urlFetchWhitelist prefixes (https only, each with a path). */
export const URL_FETCH_WHITELIST: readonly string[] = typeof __URL_FETCH_WHITELIST__ === 'undefined' ? [] : __URL_FETCH_WHITELIST__;

/**
 * Whether `url` is covered by an allow-list prefix, with Google's matching rules: the scheme and
 * host compare case-insensitively, `*.` in a prefix matches any subdomain, the path compares
 * case-sensitively, and a URL matches when it equals the prefix or continues it after a `/`,
 * `?` or `#` (or anything, when the prefix ends with `/`).
 */
export function allowedByWhitelist(url: string, prefixes: readonly string[] = URL_FETCH_WHITELIST): boolean {
  const split = (u: string) => {
    const m = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(u);
    return m ? { scheme: m[1]!.toLowerCase(), host: m[2]!.toLowerCase(), rest: m[3] ?? '' } : null;
  };
  const u = split(url);
  if (!u || u.scheme !== 'https') return false;
  return prefixes.some((p) => {
    const q = split(p);
    if (!q || q.scheme !== 'https') return false;
    const hostOk = q.host.startsWith('*.') ? u.host.endsWith(q.host.slice(1)) && u.host.length > q.host.length - 1 : u.host === q.host;
    if (!hostOk) return false;
    const path = u.rest || '/';
    if (path === q.rest) return true;
    if (!path.startsWith(q.rest)) return false;
    return q.rest.endsWith('/') || /^[/?#]/.test(path.slice(q.rest.length));
  });
}
