/**
 * Signature test vectors (design §3), shared by the add-on tests and the worker's tests: the same
 * secret, t, method, path and body must give the same hex in Apps Script (signed bytes from
 * Utilities.computeHmacSha256Signature, mapped with (b + 256) % 256) and in node:crypto.
 * `hex` = HMAC-SHA256(secret, `${t}.${method}.${path}.${body}`) over UTF-8, lower-case.
 */
export interface SignatureVector {
  name: string;
  secret: string;
  t: number;
  method: string;
  path: string;
  body: string;
  hex: string;
}

export const SIGNATURE_VECTORS: readonly SignatureVector[] = [
  {
    name: 'dispatch, ASCII body',
    secret: 'test-secret-0123456789abcdef',
    t: 1763716502,
    method: 'POST',
    path: '/v1/dispatch',
    body: '{"dispatchId":"00000000-0000-4000-8000-000000000001","rows":[]}',
    hex: '98c51c769a77c945d5b1aa20b376db1aad47eeb68c9d90ad7796568ae9365846',
  },
  {
    name: 'dispatch behind a path prefix, non-ASCII body',
    secret: 'another secret with spaces ✓',
    t: 1763716502,
    method: 'POST',
    path: '/archiver/v1/dispatch',
    body: '{"rows":[{"name":"Ana Souza — São Paulo","type":"FF-Fi/Se-CP/B(S) #4"}]}',
    hex: '12e642eb1935710c2643d2f69af478e9432470fe516fed430d35c7f8d67fce26',
  },
  {
    name: 'GET with empty body',
    secret: 'test-secret-0123456789abcdef',
    t: 1763716502,
    method: 'GET',
    path: '/v1/jobs/j_01',
    body: '',
    hex: '0df44105edf2645f8996569306ec7f263bae379d19f12bfa8b921c7d599586a6',
  },
];
