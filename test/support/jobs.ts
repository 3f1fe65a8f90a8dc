/**
 * Job records and source contexts for tests of the sources (row 151, Ana Souza, type
 * `FF-Fi/Se-CP/B(S) #4`), one factory for every test that needs a job.
 */
import { DispatchOptionsSchema, type JobProgress, type JobRecord } from '../../shared/schemas.js';
import { JobEvents, type JobLifecycleEvent } from '../../worker/src/events/jobEvents.js';
import { silentLogger } from '../../worker/src/log.js';
import { subscribeStatusWriteBack } from '../../worker/src/sheets/projector.js';
import type { StatusOutbox } from '../../worker/src/sheets/types.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import type { SourceContext } from '../../worker/src/sources/types.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';

/** A job record being downloaded; `overrides` win (a drive job unless `source` says otherwise). */
export function testJob(overrides: Partial<JobRecord> = {}): JobRecord {
  const now = new Date().toISOString();
  return {
    jobId: 'j_drive_test',
    dispatchId: '00000000-0000-4000-8000-000000000001',
    idempotencyKey: 'k',
    spreadsheetId: '1SheetIdForTestsAbCdEfGhIjKlMnOp',
    sheetId: 0,
    sheetName: 'People',
    rowId: '151',
    rowNumber: 12,
    name: 'Ana Souza',
    email: 'ana@example.org',
    type: 'FF-Fi/Se-CP/B(S) #4',
    source: 'drive',
    links: [],
    options: DispatchOptionsSchema.parse({}),
    status: 'downloading',
    attempt: 1,
    maxAttempts: 3,
    error: null,
    files: [],
    mediaIds: [],
    progress: null,
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: null,
    nextRunAt: null,
    ...overrides,
  };
}

/** A job to enqueue: one YouTube-style link for row `rowId` (row number = the row_id); `overrides` win. */
export function testNewJob(rowId: string, link: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    dispatchId: 'd',
    spreadsheetId: 's',
    sheetId: 0,
    sheetName: 'People',
    rowId,
    rowNumber: Number(rowId),
    name: `Person ${rowId}`,
    email: '',
    type: 'FF-Fi/Se-CP/B(S) #4',
    source: 'youtube',
    links: [link],
    attempt: 1,
    options: DispatchOptionsSchema.parse({}),
    ...overrides,
  };
}

/** A SourceContext over `store`, collecting progress reports into `progress`. */
export function testContext(
  store: ObjectStore,
  opts: { signal?: AbortSignal; prefix?: string; workDir?: string; job?: Partial<JobRecord>; progress?: JobProgress[] } = {},
): SourceContext {
  return {
    job: testJob(opts.job),
    store,
    prefix: opts.prefix ?? '',
    workDir: opts.workDir ?? '/tmp',
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger,
    onProgress: (p) => opts.progress?.push(p),
  };
}

/**
 * The job lifecycle emitter a test runner emits on, without a durable log: the status
 * write-back (sheets/projector.ts) pushes to `outbox` when given, and `onEvent` sees every event.
 */
export function testEvents(outbox?: Pick<StatusOutbox, 'push'> | null, onEvent?: (e: JobLifecycleEvent) => void): JobEvents<null> {
  const events = new JobEvents(null);
  if (outbox) subscribeStatusWriteBack(events, outbox);
  if (onEvent) events.on(onEvent);
  return events;
}
