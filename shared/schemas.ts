/**
 * zod schemas for what crosses the add-on ↔ worker boundary (design §3, §4).
 * zod is pure JS, so these bundle into Apps Script as well.
 */
import { z } from 'zod';
import { SOURCES } from './columns.js';
import { ERROR_CATEGORIES, MAX_MANUAL_ATTEMPTS } from './errors.js';

export const SourceSchema = z.enum(SOURCES);
export const ErrorCategorySchema = z.enum(ERROR_CATEGORIES);

const url = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^https?:\/\//i, 'must be an http(s) URL');

/** Parsed `archive_options` of one row (shared/archiveOptions.ts); every field optional. */
export const RowArchiveOptionsSchema = z
  .object({
    mode: z.enum(['video', 'audio', 'transcript']).optional(),
    maxHeight: z.number().int().min(144).max(4320).optional(),
    subs: z.array(z.string().min(1).max(40)).max(20).optional(),
    comments: z.boolean().optional(),
  })
  .strict();

/** One row of a dispatch. `rowNumber` is the 1-based sheet row at dispatch time: a hint only. */
export const DispatchRowSchema = z.object({
  rowId: z.string().trim().min(1, 'row_id must not be empty').max(200),
  rowNumber: z.number().int().min(2),
  name: z.string().max(500).default(''),
  email: z.string().max(500).default(''),
  type: z.string().max(200).default(''),
  youtube: z.array(url).max(500).default([]),
  drive: z.array(url).max(500).default([]),
  attempt: z.number().int().min(1).max(MAX_MANUAL_ATTEMPTS).default(1),
  /** the row's `archive_options` (design §1), already parsed; absent in older requests */
  archiveOptions: RowArchiveOptionsSchema.optional(),
});
export type DispatchRow = z.infer<typeof DispatchRowSchema>;

export const DispatchOptionsSchema = z.object({
  sources: z.array(SourceSchema).min(1).default(['youtube', 'drive']),
  transcriptOnly: z.boolean().default(false),
  audioOnly: z.boolean().default(false),
  maxHeight: z.number().int().min(144).max(4320).default(1080),
  retry: z.enum(['auto', 'manual']).default('auto'),
});
export type DispatchOptions = z.infer<typeof DispatchOptionsSchema>;

/** `POST /v1/dispatch` body (design §3). */
export const DispatchRequestSchema = z.object({
  dispatchId: z.string().uuid(),
  spreadsheetId: z.string().min(1).max(200),
  sheetId: z.number().int().min(0),
  sheetName: z.string().min(1).max(200),
  rows: z.array(DispatchRowSchema).min(1).max(500),
  options: DispatchOptionsSchema.default(DispatchOptionsSchema.parse({})),
});
export type DispatchRequest = z.infer<typeof DispatchRequestSchema>;

/** Worker-side job states (design §4). The sheet sees a subset: see `sheetStatusOf`. */
export const JOB_STATUSES = ['queued', 'downloading', 'uploading', 'completed', 'failed', 'retrying', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;
/** Statuses in which a job is still open (dispatching the same work again returns it). */
export const OPEN_JOB_STATUSES: readonly JobStatus[] = ['queued', 'downloading', 'uploading', 'retrying'];

/** The sheet's view of a job status. */
export function sheetStatusOf(status: JobStatus): 'queued' | 'downloading' | 'completed' | 'failed' {
  switch (status) {
    case 'queued':
    case 'retrying':
      return 'queued';
    case 'downloading':
    case 'uploading':
      return 'downloading';
    case 'completed':
      return 'completed';
    default:
      return 'failed';
  }
}

export const JobErrorSchema = z.object({ category: ErrorCategorySchema, message: z.string() });
export type JobError = z.infer<typeof JobErrorSchema>;

export const JobProgressSchema = z.object({
  /** 0…1 across the whole job (all links) */
  fraction: z.number().min(0).max(1),
  bytes: z.number().optional(),
  totalBytes: z.number().optional(),
  /** bytes per second */
  speed: z.number().optional(),
  message: z.string().optional(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

/**
 * What a job does (design §4): `archive` downloads a row's links; `reprocess` rebuilds derived
 * files (audio, SRT, text, metadata.json) from what storage already holds, downloading nothing.
 */
export const JOB_KINDS = ['archive', 'reprocess'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKindSchema>;

/** One job: one (row, source) of one dispatch (design §4). Times are ISO 8601 UTC strings. */
export const JobRecordSchema = z.object({
  jobId: z.string(),
  dispatchId: z.string(),
  idempotencyKey: z.string(),
  spreadsheetId: z.string(),
  sheetId: z.number().int(),
  sheetName: z.string(),
  rowId: z.string(),
  rowNumber: z.number().int(),
  name: z.string(),
  email: z.string(),
  type: z.string(),
  source: SourceSchema,
  /** absent in records written before job kinds existed: those are `archive` */
  kind: JobKindSchema.optional(),
  /** archive: the row's links; reprocess: the metadata.json keys of the media folders to rebuild */
  links: z.array(z.string()),
  options: DispatchOptionsSchema,
  /** the row's `archive_options` (design §1), when it had any; they win over `options` */
  archiveOptions: RowArchiveOptionsSchema.optional(),
  status: JobStatusSchema,
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  error: JobErrorSchema.nullable(),
  files: z.array(z.string()),
  mediaIds: z.array(z.string()),
  progress: JobProgressSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  /** the job's lane (design §4), computed once at enqueue; absent in records older than lanes */
  lane: z.string().optional(),
  /**
   * How the sheet took this job's last status write, when it refused it: a refused write
   * (data_corruption, the row's row_id or type changed) is a write-back outcome of the job, not a
   * change of the job's own status or error.
   */
  writeBack: z.object({ status: z.literal('refused'), error: JobErrorSchema, at: z.string() }).optional(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** `202` answer to a dispatch. */
export const DispatchResponseSchema = z.object({
  jobs: z.array(z.object({ jobId: z.string(), rowId: z.string(), source: SourceSchema, status: JobStatusSchema })),
});
export type DispatchResponse = z.infer<typeof DispatchResponseSchema>;

/**
 * A readable one-line account of a zod failure that names the field, e.g.
 * `rows.0.rowId: row_id must not be empty`.
 */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}
