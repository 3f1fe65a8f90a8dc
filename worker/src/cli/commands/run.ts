/**
 * `sheet-archiver run <sheet.csv>`: the whole pipeline on a CSV file in one process. Adds the
 * tracking columns, picks pending rows (and failed rows with automatic attempts left), archives
 * them through the durable queue, writes statuses into the same file, and prints a summary.
 * Exits 0 when the run finished, even with failed rows.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { ERROR_ADVICE, parseErrorLines } from '../../../../shared/errors.js';
import { mapColumns, readStatus, sourceColumns, type SourceName } from '../../../../shared/columns.js';
import { planDispatch, toDispatchRows, validateSheet, type PlannedJob } from '../../../../shared/rows.js';
import { DispatchOptionsSchema } from '../../../../shared/schemas.js';
import type { NewJob } from '../../jobs/types.js';
import type { ArchiverMetrics } from '../../metrics/registry.js';
import { newRunId } from '../../runs/ids.js';
import { CsvSheetBackend, readCsvSheet } from '../../sheets/csv.js';
import { createSystem } from '../../system.js';
import { cliLogger, configWith, existingCsv, UsageError } from '../context.js';
import { formatDuration, formatTable, printJson } from '../output.js';
import { createProgress } from '../progress.js';

export interface RunOptions {
  out?: string;
  allowHost: string[];
  sources: SourceName[];
  max?: number;
  concurrency?: number;
  retryFailed?: boolean;
  transcriptOnly?: boolean;
  maxHeight?: number;
  json?: boolean;
  /** internal, for bench/events-overhead.ts: events and run logs off, or metrics on (SystemOptions) */
  internal?: { observe?: boolean; metrics?: ArchiverMetrics };
}

export interface RunSummary {
  /** the run id: its log is `sheet-archiver runs show <runId>` */
  runId: string;
  sheet: string;
  archive: string;
  durationMs: number;
  jobs: number;
  bySource: Record<SourceName, { completed: number; failed: number; other: number; files: number }>;
  failed: { rowNumber: number; rowId: string; source: SourceName; error: string; advice: string }[];
  skipped: { rowNumber: number; rowId: string; message: string }[];
}

/** How long `run` waits at the end for webhook deliveries that are due, ms. */
const WEBHOOK_DRAIN_MS = 15_000;

/** The spreadsheet id a CSV file's jobs carry: stable per absolute path. */
export function csvSpreadsheetId(path: string): string {
  return `csv:${path}`;
}

/** One queue file per CSV (absolute path): a killed run resumes its own jobs, and never another sheet's. */
export function runQueuePath(dataDir: string, path: string): string {
  return join(dataDir, 'runs', createHash('sha256').update(path).digest('hex').slice(0, 16) + '.db');
}

function limitRows(jobs: PlannedJob[], max: number | undefined): PlannedJob[] {
  if (!max) return jobs;
  const rows = [...new Set(jobs.map((j) => j.rowNumber))].slice(0, max);
  const keep = new Set(rows);
  return jobs.filter((j) => keep.has(j.rowNumber));
}

/** Runs the pipeline on a CSV file. @throws UsageError when it cannot run. */
export async function runCommand(sheetArg: string, o: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const path = existingCsv(sheetArg);
  const envHosts = process.env['ARCHIVER_ALLOWED_HOSTS'] ?? '';
  const config = configWith({
    ARCHIVER_ARCHIVE_DIR: o.out,
    ARCHIVER_CONCURRENCY: o.concurrency,
    ARCHIVER_ALLOWED_HOSTS: [envHosts, ...o.allowHost].filter(Boolean).join(','),
    ARCHIVER_REPORT_WINDOW_MS: process.env['ARCHIVER_REPORT_WINDOW_MS'] ?? 300,
  });
  // Link failures show in the progress lines and the summary; the log says only what they cannot.
  const log = cliLogger('error');
  const backend = new CsvSheetBackend(path, { logger: log });
  await backend.ensureColumns();
  const sheet = await readCsvSheet(path);
  const map = mapColumns(sheet.headers);
  if (map.input.row_id === undefined) throw new UsageError(`${sheetArg}: no "row_id" column; every row needs a unique row_id`);

  const { issues } = validateSheet(sheet.headers, sheet.rows, config.allowedHosts);
  const plan = planDispatch(sheet.headers, sheet.rows, {
    sources: o.sources,
    allowedHosts: config.allowedHosts,
    mode: o.retryFailed ? 'manual' : 'auto',
    ...(config.env.DRIVE_REARCHIVE_AFTER ? { driveRearchiveAfterMs: config.env.DRIVE_REARCHIVE_AFTER } : {}),
  });
  const planned = limitRows(plan.jobs, o.max);
  const options = DispatchOptionsSchema.parse({
    sources: o.sources,
    transcriptOnly: o.transcriptOnly ?? false,
    ...(o.maxHeight ? { maxHeight: o.maxHeight } : {}),
    retry: o.retryFailed ? 'manual' : 'auto',
  });
  // the run id (runs/ids.ts): every job of this run carries it as its dispatchId
  const dispatchId = newRunId();
  const spreadsheetId = csvSpreadsheetId(path);
  const newJobs: NewJob[] = toDispatchRows(planned).flatMap((row) =>
    o.sources
      .filter((s) => row[s].length > 0)
      .map((source) => ({
        dispatchId,
        spreadsheetId,
        sheetId: 0,
        sheetName: basename(path),
        rowId: row.rowId,
        rowNumber: row.rowNumber,
        name: row.name,
        email: row.email,
        type: row.type,
        source,
        links: row[source],
        attempt: row.attempt,
        options,
        ...(row.archiveOptions ? { archiveOptions: row.archiveOptions } : {}),
      })),
  );

  const queuePath = runQueuePath(config.dataDir, path);
  let progress: ReturnType<typeof createProgress> | null = null;
  const system = await createSystem({
    config,
    log,
    backend,
    queuePath,
    onEvent: (e) => progress?.onEvent(e),
    ...(o.internal?.observe === false ? { observe: false } : {}),
    ...(o.internal?.metrics ? { metrics: o.internal.metrics } : {}),
  });
  await system.catalogue.openSession({
    sessionId: dispatchId,
    kind: 'run',
    spreadsheetId,
    sheetName: basename(path),
    request: { options, rows: new Set(newJobs.map((j) => j.rowId)).size, jobs: newJobs.length },
  });
  const enqueued = await system.queue.enqueue(newJobs);
  // the run's log (runs/runLogs.ts); jobs a killed earlier run of this sheet left are logged into it too
  system.runLogs?.open(
    { runId: dispatchId, kind: 'run', spreadsheetId, sheetName: basename(path) },
    enqueued.filter((r) => r.created).map((r) => r.job),
    { autoFinish: false, existing: enqueued.filter((r) => !r.created).length },
  );
  system.runLogs?.setDefault(dispatchId);
  // queued events: the status write-back marks the new jobs' rows queued (sheets/projector.ts)
  for (const { job, created } of enqueued) if (created) system.events.queued(job);
  const total = await system.queue.openCount();
  if (!o.json) {
    process.stderr.write(
      `sheet-archiver: ${total} job(s) from ${new Set(planned.map((j) => j.rowId)).size} row(s) of ${basename(path)} → ${system.store.describe()}\n`,
    );
  }
  progress = o.json ? null : createProgress(total);
  const stop = () => {
    process.stderr.write('\nsheet-archiver: stopping; unfinished jobs resume on the next run\n');
    void system.close({ abortRunning: true }).then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  system.reporter.start();
  system.runner.start();
  system.webhooks?.start();
  await system.runner.idle();
  progress?.stop();
  process.off('SIGINT', stop);
  // the summary line of the run log, and run.finished with the session's counts (docs/design.md §9)
  system.runLogs?.finish(dispatchId);
  if (system.webhooks) {
    // what is not sent by then stays in this sheet's queue file and goes out on the next run
    const left = await system.webhooks.drain(WEBHOOK_DRAIN_MS);
    if (left && !o.json)
      process.stderr.write(`sheet-archiver: ${left} webhook delivery(ies) still pending; they are sent on the next run of this sheet\n`);
  }
  await system.close();

  return summarize(
    dispatchId,
    path,
    system.store.describe(),
    started,
    newJobs.length,
    o.sources,
    // what validation found, plus what only selection knows (an erased row is valid, just not due)
    [
      ...issues.filter((i) => i.kind === 'empty_row_id' || i.kind === 'duplicate_row_id' || i.kind === 'bad_options'),
      ...plan.skipped.filter((i) => i.kind === 'erased'),
    ],
  );
}

async function summarize(
  runId: string,
  path: string,
  archive: string,
  started: number,
  jobs: number,
  sources: SourceName[],
  skipped: { rowNumber: number; rowId: string; message: string }[],
): Promise<RunSummary> {
  const sheet = await readCsvSheet(path);
  const map = mapColumns(sheet.headers);
  const cell = (r: string[], col: string) => {
    const i = (map.tracking as Record<string, number | undefined>)[col] ?? (map.input as Record<string, number | undefined>)[col];
    return i === undefined ? '' : (r[i] ?? '');
  };
  const bySource = {} as RunSummary['bySource'];
  const failed: RunSummary['failed'] = [];
  for (const s of sources) bySource[s] = { completed: 0, failed: 0, other: 0, files: 0 };
  sheet.rows.forEach((r, i) => {
    for (const s of sources) {
      const cols = sourceColumns(s);
      if (cell(r, cols.status) === '') continue;
      const status = readStatus(cell(r, cols.status));
      const b = bySource[s];
      if (status === 'completed') b.completed++;
      else if (status === 'failed') {
        b.failed++;
        const line = parseErrorLines(cell(r, 'download_errors')).find((l) => l.source === s);
        failed.push({
          rowNumber: i + 2,
          rowId: cell(r, 'row_id'),
          source: s,
          error: line ? `${line.category}: ${line.message}` : 'failed',
          advice: line ? ERROR_ADVICE[line.category] : '',
        });
      } else b.other++;
      b.files += cell(r, cols.files)
        .split(',')
        .filter((f) => f.trim()).length;
    }
  });
  return { runId, sheet: path, archive, durationMs: Date.now() - started, jobs, bySource, failed, skipped };
}

/** Prints the summary as a person reads it. */
export function printSummary(s: RunSummary): void {
  const rows = Object.entries(s.bySource).map(([src, b]) => [src, b.completed, b.failed, b.other, b.files]);
  const out: string[] = ['', formatTable(['source', 'completed', 'failed', 'not finished', 'files'], rows)];
  if (s.failed.length) {
    out.push('', `Rows that need attention (${s.failed.length}):`);
    out.push(
      formatTable(
        ['row', 'row_id', 'source', 'error', 'what to do'],
        s.failed.map((f) => [f.rowNumber, f.rowId, f.source, f.error, f.advice]),
      ),
    );
  }
  if (s.skipped.length) {
    out.push('', `Rows skipped (${s.skipped.length}): each says why, and what to change to archive it`);
    out.push(
      formatTable(
        ['row', 'row_id', 'problem'],
        s.skipped.map((k) => [k.rowNumber, k.rowId, k.message]),
      ),
    );
  }
  out.push(
    '',
    `Finished ${s.jobs} new job(s) in ${formatDuration(s.durationMs)}.`,
    `Archive:     ${s.archive}`,
    `Run log:     sheet-archiver runs show ${s.runId}`,
    `Updated CSV: ${s.sheet}`,
    '',
  );
  process.stdout.write(out.join('\n'));
}

/** `run` as commander calls it. */
export async function runAction(sheet: string, o: RunOptions): Promise<void> {
  const summary = await runCommand(sheet, o);
  if (o.json) printJson(summary);
  else printSummary(summary);
}
