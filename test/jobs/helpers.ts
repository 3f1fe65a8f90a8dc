/** Shared helpers for the queue tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DispatchOptionsSchema, JobRecordSchema, type JobRecord } from '../../shared/schemas.js';
import type { NewJob } from '../../worker/src/jobs/index.js';

let n = 0;

/** A valid NewJob; every call gets a fresh rowId unless overridden. */
export function newJob(over: Partial<NewJob> = {}): NewJob {
  n += 1;
  return {
    dispatchId: '6f1c1d1e-0000-4000-8000-000000000001',
    spreadsheetId: 'sheet-1',
    sheetId: 0,
    sheetName: 'People',
    rowId: `r${n}`,
    rowNumber: n + 1,
    name: 'Ana Souza',
    email: 'ana@example.org',
    type: 'FF-Fi/Se-CP/B(S) #4',
    source: 'youtube',
    links: [`https://www.youtube.com/watch?v=abcdefghi${String(n % 100).padStart(2, '0')}`],
    attempt: 1,
    options: DispatchOptionsSchema.parse({}),
    ...over,
  };
}

/** Asserts (via zod) that a record matches the JobRecord contract; returns it. */
export function valid(job: JobRecord | null | undefined): JobRecord {
  if (!job) throw new Error('expected a job');
  return JobRecordSchema.parse(job);
}

/** A fresh temp folder and a cleanup function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'archiver-queue-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
