/**
 * decideRetry (worker/src/jobs/retry.ts): every retry decision of the job lifecycle, table-driven
 * over category × attempt × automatic/manual limits, plus Retry-After, the scale, the lane pause
 * and the several-link rule (a retryable error wins).
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CATEGORIES, MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS, RETRY_POLICIES, type ErrorCategory } from '../../shared/errors.js';
import { ArchiveError } from '../../worker/src/errors.js';
import { decideRetry, manualRetryRefusal } from '../../worker/src/jobs/retry.js';

const NOW = 1_000_000;
const mid = () => 0.5; // jitter factor exactly 1
const job = (attempt: number, maxAttempts = MAX_AUTO_ATTEMPTS, lane = 'youtube') => ({ jobId: 'j_1', attempt, maxAttempts, lane });
const err = (category: ErrorCategory, opts: { retryAfterMs?: number } = {}) => new ArchiveError(category, `${category} happened`, opts);

/** The expected first delays (attempt 1 failed), jitter neutral, scale 1. */
const FIRST_DELAY: Partial<Record<ErrorCategory, number>> = {
  network: 2_000,
  rate_limit: 5_000,
  quota: 60_000,
  system: 5_000,
  file_io: 5_000,
};

describe('decideRetry: category × attempt × limit', () => {
  const rows: [ErrorCategory, number, number, 'retry' | 'fail'][] = [];
  for (const c of ERROR_CATEGORIES) {
    for (const attempt of [1, 2, 3, 4, 9, 10]) {
      for (const max of [MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS]) {
        if (attempt > max) continue;
        const p = RETRY_POLICIES[c];
        const retry = p.retry && attempt < Math.min(max, MAX_AUTO_ATTEMPTS, p.maxAttempts);
        rows.push([c, attempt, max, retry ? 'retry' : 'fail']);
      }
    }
  }

  it.each(rows)('%s at attempt %i (maxAttempts %i) → %s', (category, attempt, max, action) => {
    const v = decideRetry(job(attempt, max), [err(category)], { now: NOW, random: mid });
    expect(v.decision.action).toBe(action);
    expect(v.error.category).toBe(category);
    if (v.decision.action === 'retry') expect(v.decision.atMs).toBeGreaterThan(NOW);
  });

  it('never retries past the automatic limit even when the manual limit allows more attempts', () => {
    expect(decideRetry(job(3, MAX_MANUAL_ATTEMPTS), [err('network')], { now: NOW }).decision.action).toBe('fail');
    expect(decideRetry(job(2, MAX_MANUAL_ATTEMPTS), [err('network')], { now: NOW }).decision.action).toBe('retry');
    // system and file_io stop earlier (their policy's own limit, 2)
    expect(decideRetry(job(2), [err('system')], { now: NOW }).decision.action).toBe('fail');
  });

  it('waits the policy curve, capped, jittered ±20 %, times the scale', () => {
    for (const [c, ms] of Object.entries(FIRST_DELAY) as [ErrorCategory, number][]) {
      const v = decideRetry(job(1), [err(c)], { now: NOW, random: mid });
      expect(v.decision).toMatchObject({ action: 'retry', atMs: NOW + ms });
    }
    expect(decideRetry(job(2), [err('network')], { now: NOW, random: mid }).decision).toMatchObject({ atMs: NOW + 4_000 });
    expect(decideRetry(job(1), [err('network')], { now: NOW, random: () => 0 }).decision).toMatchObject({ atMs: NOW + 1_600 });
    expect(decideRetry(job(1), [err('network')], { now: NOW, random: () => 0.99999 }).decision).toMatchObject({ atMs: NOW + 2_400 });
    expect(decideRetry(job(1), [err('network')], { now: NOW, random: mid, retryScale: 0.01 }).decision).toMatchObject({ atMs: NOW + 20 });
  });
});

describe('decideRetry: Retry-After and the lane pause', () => {
  it('a longer Retry-After wins over the backoff; a shorter one does not', () => {
    const long = decideRetry(job(1), [err('rate_limit', { retryAfterMs: 30_000 })], { now: NOW, random: mid });
    expect(long.decision).toMatchObject({ action: 'retry', atMs: NOW + 30_000 });
    const short = decideRetry(job(1), [err('network', { retryAfterMs: 100 })], { now: NOW, random: mid });
    expect(short.decision).toMatchObject({ action: 'retry', atMs: NOW + 2_000 });
    const scaled = decideRetry(job(1), [err('rate_limit', { retryAfterMs: 30_000 })], { now: NOW, random: mid, retryScale: 0.1 });
    expect(scaled.decision).toMatchObject({ atMs: NOW + 3_000 });
  });

  it('a rate limit pauses the lane until the retry time', () => {
    const v = decideRetry(job(1, 3, 'media.example:8080'), [err('rate_limit', { retryAfterMs: 20_000 })], { now: NOW, random: mid });
    expect(v.pause).toEqual({ lane: 'media.example:8080', untilMs: NOW + 20_000, reason: expect.stringContaining('rate_limit') });
  });

  it('a rate limit that is not retried any more still pauses the lane for its Retry-After (or 60 s)', () => {
    const named = decideRetry(job(3), [err('rate_limit', { retryAfterMs: 5_000 })], { now: NOW });
    expect(named.decision.action).toBe('fail');
    expect(named.pause?.untilMs).toBe(NOW + 5_000);
    const unnamed = decideRetry(job(3), [err('rate_limit')], { now: NOW });
    expect(unnamed.pause?.untilMs).toBe(NOW + 60_000);
    // never shorter than 1 s, however small the scale
    expect(decideRetry(job(3), [err('rate_limit')], { now: NOW, retryScale: 0.0001 }).pause?.untilMs).toBe(NOW + 1_000);
  });

  it('no pause for other categories, or for a job without a lane (enqueued before lanes)', () => {
    expect(decideRetry(job(1), [err('network')], { now: NOW }).pause).toBeUndefined();
    expect(decideRetry(job(1, 3, ''), [err('rate_limit')], { now: NOW }).pause).toBeUndefined();
  });
});

describe('decideRetry: several links', () => {
  it('a retryable error wins: first link not_found, second network → retried with the network error', () => {
    const v = decideRetry(job(1), [err('not_found'), err('network')], { now: NOW, random: mid });
    expect(v.decision.action).toBe('retry');
    expect(v.error.category).toBe('network');
  });

  it('when none is retryable the first error decides', () => {
    const v = decideRetry(job(1), [err('permission'), err('not_found')], { now: NOW });
    expect(v.decision.action).toBe('fail');
    expect(v.error.category).toBe('permission');
  });

  it('a rate limit on any link pauses the lane, even when another error decides', () => {
    const v = decideRetry(job(1), [err('network'), err('rate_limit')], { now: NOW, random: mid });
    expect(v.error.category).toBe('network');
    expect(v.pause?.lane).toBe('youtube');
  });

  it('cancelled decides at once and is never retried', () => {
    const v = decideRetry(job(1), [err('network'), err('cancelled')], { now: NOW });
    expect(v.decision.action).toBe('fail');
    expect(v.error.category).toBe('cancelled');
  });

  it('throws for a failure without errors', () => {
    expect(() => decideRetry(job(1), [], { now: NOW })).toThrow(RangeError);
  });
});

describe('manualRetryRefusal', () => {
  it('allows manual retries up to MAX_MANUAL_ATTEMPTS', () => {
    expect(manualRetryRefusal({ jobId: 'j', attempt: MAX_MANUAL_ATTEMPTS - 1 })).toBeNull();
    expect(manualRetryRefusal({ jobId: 'j', attempt: MAX_MANUAL_ATTEMPTS })).toMatch(/limit is 10/);
  });
});
