/**
 * The status projector (worker/src/sheets/projector.ts): the one place a job's lifecycle event
 * becomes the sheet's tracking cells.
 */
import { describe, expect, it } from 'vitest';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { projectStatus, subscribeStatusWriteBack } from '../../worker/src/sheets/projector.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';
import { testJob } from '../support/jobs.js';

const NOW = Date.UTC(2026, 10, 21, 9, 15, 2, 345);
const job = testJob({ jobId: 'j_1', source: 'youtube', rowId: '151', rowNumber: 12 });

describe('projectStatus', () => {
  it('started → downloading with the last attempt time, to the second', () => {
    expect(projectStatus({ type: 'started', job }, NOW)).toMatchObject({
      jobId: 'j_1',
      rowId: '151',
      rowNumberHint: 12,
      type: job.type,
      source: 'youtube',
      status: 'downloading',
      lastAttempt: '2026-11-21T09:15:02Z',
    });
  });

  it('finished: completed clears the error and lists files without metadata.json', () => {
    const done = { ...job, status: 'completed' as const, files: ['151/youtube/a/a.mp4', '151/youtube/a/metadata.json'], mediaIds: ['a'] };
    expect(projectStatus({ type: 'finished', job: done }, NOW)).toMatchObject({
      status: 'completed',
      files: ['151/youtube/a/a.mp4'],
      mediaIds: ['a'],
      error: null,
    });
  });

  it('finished: a job being retried shows queued with the line of the attempt that failed', () => {
    const retrying = { ...job, status: 'retrying' as const, attempt: 2, error: { category: 'network' as const, message: 'reset' } };
    expect(projectStatus({ type: 'finished', job: retrying }, NOW)).toMatchObject({
      status: 'queued',
      error: { source: 'youtube', attempt: 1, category: 'network', message: 'reset' },
    });
    const failed = { ...job, status: 'failed' as const, attempt: 3, error: { category: 'network' as const, message: 'reset' } };
    expect(projectStatus({ type: 'finished', job: failed }, NOW)).toMatchObject({ status: 'failed', error: { attempt: 3 } });
  });

  it('cancelled (on request, or a holder letting go) → failed with the cancelled line', () => {
    const cancelled = { ...job, status: 'cancelled' as const, error: { category: 'cancelled' as const, message: 'cancelled on request' } };
    for (const type of ['cancelled', 'finished'] as const)
      expect(projectStatus({ type, job: cancelled }, NOW)).toMatchObject({
        status: 'failed',
        error: { category: 'cancelled', attempt: 1 },
      });
  });

  it('nothing for progress, nor for any event of a reprocess job', () => {
    expect(projectStatus({ type: 'progress', job, progress: { fraction: 0.5 } }, NOW)).toBeNull();
    expect(projectStatus({ type: 'started', job: { ...job, kind: 'reprocess' } }, NOW)).toBeNull();
  });
});

describe('subscribeStatusWriteBack', () => {
  it('pushes what the projector makes of each event, and stops when unsubscribed', () => {
    const pushed: StatusUpdate[] = [];
    const events = new JobEvents(null);
    const off = subscribeStatusWriteBack(events, { push: (u) => void pushed.push(u) }, () => NOW);
    events.queued({ ...job, status: 'queued' });
    events.emit({ type: 'progress', job, progress: { fraction: 0.1 } });
    events.emit({ type: 'started', job });
    expect(pushed.map((u) => u.status)).toEqual(['queued', 'downloading']);
    off();
    events.emit({ type: 'started', job });
    expect(pushed).toHaveLength(2);
  });
});
