import { describe, expect, it } from 'vitest';
import { googleErrorInfo, parseRetryAfter, responseHeader } from '../../worker/src/google/apiErrors.js';

describe('Google API errors', () => {
  it('reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-11-21T09:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('reads headers from Fetch Headers and from plain records', () => {
    expect(responseHeader(new Headers({ 'Retry-After': '3' }), 'retry-after')).toBe('3');
    expect(responseHeader({ 'retry-after': 4 }, 'Retry-After')).toBe('4');
    expect(responseHeader(undefined, 'x')).toBeUndefined();
  });

  it("unpacks a gaxios error with Google's JSON body, reasons from errors[] and details[]", () => {
    const err = Object.assign(new Error('Request failed with status code 429'), {
      response: {
        status: 429,
        headers: { 'retry-after': '2' },
        data: {
          error: {
            code: 429,
            message: 'Quota exceeded for quota metric',
            status: 'RESOURCE_EXHAUSTED',
            details: [{ reason: 'RATE_LIMIT_EXCEEDED' }],
          },
        },
      },
    });
    expect(googleErrorInfo(err)).toEqual({
      status: 429,
      reason: 'RATE_LIMIT_EXCEEDED',
      reasons: ['RATE_LIMIT_EXCEEDED'],
      message: 'Quota exceeded for quota metric',
      retryAfterMs: 2000,
    });
  });

  it('reads a JSON body left as text by a stream call, and a transport error code', () => {
    const streamed = {
      message: '{"error":{"message":"File not found: x.","errors":[{"reason":"notFound"}]}}',
      response: { status: 404, data: '' },
    };
    expect(googleErrorInfo(streamed)).toMatchObject({ status: 404, reason: 'notFound', message: 'File not found: x.' });
    expect(googleErrorInfo(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toEqual({
      reasons: [],
      message: 'socket hang up',
      code: 'ECONNRESET',
    });
  });
});
