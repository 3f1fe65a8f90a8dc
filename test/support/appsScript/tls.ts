/**
 * A self-signed certificate for 127.0.0.1, made once per test process with Debian's openssl, so
 * the worker stand-in can serve https (UrlFetchApp only calls https URLs under the manifest's
 * urlFetchWhitelist) and the UrlFetchApp stand-in can verify it as Apps Script verifies a worker's
 * certificate (validateHttpsCertificates defaults to true,
 * https://developers.google.com/apps-script/reference/url-fetch/url-fetch-app#fetch(String,Object)).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  /** PEM certificate (also the CA to trust) */
  cert: string;
  /** PEM private key */
  key: string;
}

let cached: TestCert | null = null;

/** The process's test certificate (CN and SAN 127.0.0.1 and localhost, valid 2 days). */
export function testCert(): TestCert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'addon-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  cached = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  return cached;
}
