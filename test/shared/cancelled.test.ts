/**
 * The `cancelled` error category (docs/design.md §4): never retried automatically, a manual retry
 * runs it again; it reads and writes in the `download_errors` cell like every category.
 */
import { describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { ERROR_ADVICE, ERROR_CATEGORIES, RETRY_POLICIES, formatErrorLine, parseErrorLines } from '../../shared/errors.js';
import { decideRetry } from '../../worker/src/jobs/retry.js';
import { planDispatch } from '../../shared/rows.js';
import { ErrorCategorySchema, JobErrorSchema } from '../../shared/schemas.js';

describe('cancelled', () => {
  it('is a category with a policy that never retries and advice that says how to run it again', () => {
    expect(ERROR_CATEGORIES).toContain('cancelled');
    expect(RETRY_POLICIES.cancelled.retry).toBe(false);
    expect(
      decideRetry({ jobId: 'j', attempt: 1, maxAttempts: 3 }, [{ category: 'cancelled', message: 'x' }], { now: 0 }).decision.action,
    ).toBe('fail');
    expect(ERROR_ADVICE.cancelled).toMatch(/cancelled/i);
    expect(ERROR_ADVICE.cancelled).toMatch(/retry/i);
    expect(ErrorCategorySchema.parse('cancelled')).toBe('cancelled');
    expect(JobErrorSchema.parse({ category: 'cancelled', message: 'cancelled on request' })).toEqual({
      category: 'cancelled',
      message: 'cancelled on request',
    });
  });

  it('round-trips through the download_errors cell', () => {
    const line = formatErrorLine({ source: 'youtube', attempt: 2, category: 'cancelled', message: 'cancelled on request' });
    expect(line).toBe('youtube#2 cancelled: cancelled on request');
    expect(parseErrorLines(line)).toEqual([{ source: 'youtube', attempt: 2, category: 'cancelled', message: 'cancelled on request' }]);
  });

  it('planDispatch: a cancelled row is not retried automatically; a manual retry picks it as the next attempt', () => {
    const headers = ['row_id', 'name', 'email', 'type', 'video', ...TRACKING_COLUMNS];
    const col = (h: string) => headers.indexOf(h);
    const row = (id: string, errors: string) => {
      const r: string[] = headers.map(() => '');
      r[col('row_id')] = id;
      r[col('type')] = 'FF-Fi/Se-CP/B(S) #4';
      r[col('video')] = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
      r[col('youtube_status')] = 'failed';
      r[col('download_errors')] = errors;
      return r;
    };
    const rows = [row('1', 'youtube#1 cancelled: cancelled on request'), row('2', 'youtube#1 network: Connection reset by peer')];
    const auto = planDispatch(headers, rows, { sources: ['youtube'] });
    expect(auto.jobs.map((j) => j.rowId)).toEqual(['2']); // the network failure retries, the cancel does not
    const manual = planDispatch(headers, rows, { sources: ['youtube'], mode: 'manual', onlyRows: new Set([2]) });
    expect(manual.jobs).toMatchObject([{ rowId: '1', attempt: 2, reason: 'retry' }]);
  });
});
