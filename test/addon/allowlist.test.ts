/**
 * The urlFetchWhitelist prefix rules of https://developers.google.com/apps-script/manifest/allowlist-url,
 * as the add-on applies them at save time (appsscript/src/manifest.ts) and as the UrlFetchApp
 * stand-in enforces them: both must agree with the page's examples.
 */
import { describe, expect, it } from 'vitest';
import { allowedByWhitelist } from '../../appsscript/src/manifest.js';
import { whitelisted } from '../support/appsScript/services.js';

const CASES: [url: string, prefixes: string[], allowed: boolean][] = [
  // "the prefix https://example.com/foo matches …"
  ['https://example.com/foo', ['https://example.com/foo'], true],
  ['https://example.com/foo/', ['https://example.com/foo'], true],
  ['https://example.com/foo/bar', ['https://example.com/foo'], true],
  ['https://example.com/foo?bar', ['https://example.com/foo'], true],
  ['https://example.com/foo#bar', ['https://example.com/foo'], true],
  ['https://example.com/foobar', ['https://example.com/foo'], false],
  ['https://example.com/Foo', ['https://example.com/foo'], false], // path matching is case-sensitive
  ['https://EXAMPLE.com/foo', ['https://example.com/foo'], true],
  ['https://worker.example.org/v1/dispatch', ['https://worker.example.org/'], true],
  ['https://worker.example.org:8443/v1/dispatch', ['https://worker.example.org/'], false],
  ['https://a.example.org/v1/dispatch', ['https://*.example.org/'], true],
  ['https://example.org.evil.test/v1/dispatch', ['https://*.example.org/'], false],
  ['http://worker.example.org/v1/dispatch', ['https://worker.example.org/'], false], // http never
  ['https://other.example.org/v1/dispatch', ['https://worker.example.org/'], false],
];

describe('urlFetchWhitelist prefix matching', () => {
  it.each(CASES)('%s under %j → %s', (url, prefixes, allowed) => {
    expect(allowedByWhitelist(url, prefixes)).toBe(allowed);
    expect(whitelisted(url, prefixes)).toBe(allowed);
  });
});
