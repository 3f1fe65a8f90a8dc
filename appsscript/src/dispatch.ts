/**
 * Dispatch (issue 3 §4, design §3): pick rows with the shared planDispatch, send them to the
 * worker in signed batches of ≤ 200 rows through UrlFetchApp.fetchAll, mark accepted rows
 * `queued`, within a time budget. Service calls do not grow with the number of rows apart from
 * one request (and one HMAC + one UUID) per batch.
 */
import { readStatus, sourceColumns, type SourceName } from '../../shared/columns.js';
import { planDispatch, toDispatchRows, type PlannedJob, type SheetIssue } from '../../shared/rows.js';
import { DispatchResponseSchema, DispatchRowSchema, sheetStatusOf, type DispatchRequest, type DispatchRow } from '../../shared/schemas.js';
import type { ActionResult } from './api.js';
import { dispatchLock } from './context.js';
import type { Settings } from './settings.js';
import { readSheet, targetSheet } from './sheet.js';
import { isoUtc, nowMs, plural } from './util.js';
import { describeFetchException, describeHttpFailure, signedRequest } from './workerClient.js';
import { markAccepted, type AcceptedJob } from './writeBack.js';

/** Rows per request (the schema allows 500; 200 keeps each request small and fast). */
export const BATCH_ROWS = 200;
/** Requests sent together in one UrlFetchApp.fetchAll. */
export const PARALLEL_REQUESTS = 5;
/** Stop starting new requests after this long: Apps Script kills a run at 6 min. */
export const TIME_BUDGET_MS = 270_000;

export interface DispatchRunOptions {
  /** 'auto': pending, failed with automatic attempts left, expired leases. 'manual': "Retry failed rows". */
  mode: 'auto' | 'manual';
  /** only failed rows (Retry failed rows) */
  onlyFailed?: boolean;
}

/** An ActionResult plus the numbers the schedule records. */
export interface DispatchOutcome extends ActionResult {
  rowsSent: number;
  jobsAccepted: number;
  errors: string[];
  /** rows planned but left for the next run (time budget or a worker error) */
  rowsLeft: number;
}

function outcome(ok: boolean, message: string, extra: Partial<DispatchOutcome> = {}): DispatchOutcome {
  return { ok, message, rowsSent: 0, jobsAccepted: 0, errors: ok ? [] : [message], rowsLeft: 0, ...extra };
}

/** Links typed without a scheme (`youtu.be/…`) get `https://`, which the dispatch schema requires. */
function withScheme(link: string): string {
  return /^https?:\/\//i.test(link) ? link : 'https://' + link.replace(/^\/+/, '');
}

function skippedLine(s: SheetIssue): string {
  return `Row ${s.rowNumber}: ${s.message}`;
}

/**
 * Runs one dispatch on `spreadsheet` under the document lock (or, when Apps Script gives this
 * execution no document lock, the user lock: context.ts).
 * @param settings read for that spreadsheet (settings.ts readSettings).
 * @returns what happened, in plain words; never throws for worker or sheet problems.
 */
export function runDispatch(
  opts: DispatchRunOptions,
  spreadsheet: GoogleAppsScript.Spreadsheet.Spreadsheet,
  settings: Settings,
): DispatchOutcome {
  const started = nowMs();
  if (!settings.workerUrl) return outcome(false, 'Set the worker URL in the sidebar (Settings) first.');
  if (!settings.secret) return outcome(false, 'Set the shared secret for this spreadsheet in the sidebar (Settings) first.');
  const { lock } = dispatchLock();
  if (!lock.tryLock(10_000)) return outcome(false, 'Another dispatch is running in this document; try again in a minute.');
  try {
    return dispatchLocked(opts, spreadsheet, settings, started);
  } finally {
    lock.releaseLock();
  }
}

function dispatchLocked(
  opts: DispatchRunOptions,
  ss: GoogleAppsScript.Spreadsheet.Spreadsheet,
  settings: Settings,
  started: number,
): DispatchOutcome {
  const snap = readSheet(targetSheet(ss, settings.sheetName));
  const { map, sheet } = snap;
  if (map.input.row_id === undefined) return outcome(false, `The tab "${sheet.getName()}" has no row_id column; nothing was sent.`);
  if (map.missingTracking.length) return outcome(false, `Run "Add tracking columns" first (missing: ${map.missingTracking.join(', ')}).`);

  const plan = planDispatch(snap.headers, snap.rows, {
    sources: settings.sources,
    allowedHosts: settings.allowedHosts,
    now: started,
    leaseMs: settings.leaseMs,
    mode: opts.mode,
    ...(settings.driveRearchiveAfterMs ? { driveRearchiveAfterMs: settings.driveRearchiveAfterMs } : {}),
  });
  const jobs = (opts.onlyFailed ? plan.jobs.filter((j) => j.reason === 'retry') : plan.jobs).map((j) => ({
    ...j,
    links: j.links.map(withScheme),
  }));
  const skipped = plan.skipped.map(skippedLine);
  const rows: DispatchRow[] = [];
  for (const r of toDispatchRows(jobs)) {
    const parsed = DispatchRowSchema.safeParse(r);
    if (parsed.success) rows.push(parsed.data);
    else skipped.push(`Row ${r.rowNumber}: ${parsed.error.issues[0]?.message ?? 'invalid'}; not sent`);
  }
  if (!rows.length) {
    const what = opts.onlyFailed
      ? 'No failed rows can be retried'
      : 'Nothing to dispatch: every row with links is queued, finished or out of retries';
    return outcome(true, `${what}.${skipped.length ? ` ${plural(skipped.length, 'row')} skipped.` : ''}`, {
      details: skipped.slice(0, 50),
    });
  }

  const base = {
    spreadsheetId: ss.getId(),
    sheetId: sheet.getSheetId(),
    sheetName: sheet.getName(),
    options: { sources: settings.sources, transcriptOnly: false, audioOnly: false, maxHeight: 1080, retry: opts.mode },
  };
  const batches: DispatchRow[][] = [];
  for (let i = 0; i < rows.length; i += BATCH_ROWS) batches.push(rows.slice(i, i + BATCH_ROWS));

  const accepted = new Map<string, 'queued' | 'downloading'>();
  const errors: string[] = [];
  let sentBatches = 0;
  let rowsSent = 0;
  let jobsAccepted = 0;
  let slowestRound = 0;
  let stoppedForTime = false;
  while (sentBatches < batches.length && !errors.length) {
    if (nowMs() - started + slowestRound > TIME_BUDGET_MS) {
      stoppedForTime = true;
      break;
    }
    const roundStart = nowMs();
    const round = batches.slice(sentBatches, sentBatches + PARALLEL_REQUESTS);
    const requests = round.map((batchRows) => {
      const body: DispatchRequest = { dispatchId: Utilities.getUuid(), ...base, rows: batchRows };
      return signedRequest(settings.workerUrl, settings.secret, 'post', '/v1/dispatch', JSON.stringify(body));
    });
    let responses: GoogleAppsScript.URL_Fetch.HTTPResponse[];
    try {
      responses = UrlFetchApp.fetchAll(requests);
    } catch (e) {
      errors.push(describeFetchException(settings.workerUrl, String((e as Error)?.message ?? e)));
      break;
    }
    responses.forEach((res, i) => {
      const code = res.getResponseCode();
      const text = res.getContentText();
      if (code !== 202 && code !== 200) {
        if (!errors.length) errors.push(describeHttpFailure(code, text));
        return;
      }
      let parsed;
      try {
        parsed = DispatchResponseSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        errors.push(`The worker answered HTTP ${code} with an unexpected body; nothing was marked for that batch.`);
        return;
      }
      rowsSent += round[i]!.length;
      for (const job of parsed.data.jobs) {
        const status = sheetStatusOf(job.status);
        if (status === 'queued' || status === 'downloading') accepted.set(`${job.rowId}|${job.source}`, status);
        jobsAccepted++;
      }
    });
    sentBatches += round.length;
    slowestRound = Math.max(slowestRound, nowMs() - roundStart);
  }

  const toMark = acceptedJobs(jobs, accepted, snap.rows, map);
  const written = markAccepted(sheet, map, toMark, isoUtc(nowMs()));
  const rowsLeft = rows.length - rowsSent;
  return summarise({
    rowsSent,
    jobsAccepted,
    errors,
    rowsLeft,
    stoppedForTime,
    skipped,
    leftAlone: written.leftAlone,
    batches: sentBatches,
  });
}

/** The planned jobs the worker accepted, with the status cell they were planned from. */
function acceptedJobs(
  jobs: PlannedJob[],
  accepted: Map<string, 'queued' | 'downloading'>,
  rows: unknown[][],
  map: ReturnType<typeof readSheet>['map'],
): AcceptedJob[] {
  const out: AcceptedJob[] = [];
  for (const j of jobs) {
    const status = accepted.get(`${j.rowId}|${j.source}`);
    if (!status) continue;
    const col = map.tracking[sourceColumns(j.source as SourceName).status]!;
    out.push({ rowNumber: j.rowNumber, rowId: j.rowId, source: j.source, status, plannedFrom: readStatus(rows[j.rowNumber - 2]?.[col]) });
  }
  return out;
}

function summarise(r: {
  rowsSent: number;
  jobsAccepted: number;
  errors: string[];
  rowsLeft: number;
  stoppedForTime: boolean;
  skipped: string[];
  leftAlone: number;
  batches: number;
}): DispatchOutcome {
  const parts: string[] = [];
  if (r.rowsSent) parts.push(`Sent ${plural(r.rowsSent, 'row')} to the worker (${plural(r.jobsAccepted, 'job')} accepted).`);
  if (r.errors.length) parts.push(r.errors[0]!, r.rowsSent ? 'Rows the worker did not accept were left unchanged.' : 'No row was changed.');
  if (r.stoppedForTime) parts.push(`${plural(r.rowsLeft, 'row')} left for the next run (time limit).`);
  else if (r.rowsLeft && !r.errors.length) parts.push(`${plural(r.rowsLeft, 'row')} not sent.`);
  if (r.skipped.length) parts.push(`${plural(r.skipped.length, 'row')} skipped (see details).`);
  if (r.leftAlone) parts.push(`${plural(r.leftAlone, 'status cell')} changed meanwhile and were left as they are.`);
  return {
    ok: r.errors.length === 0,
    message: parts.join(' '),
    details: [...r.errors.slice(1), ...r.skipped].slice(0, 50),
    rowsSent: r.rowsSent,
    jobsAccepted: r.jobsAccepted,
    errors: r.errors,
    rowsLeft: r.rowsLeft,
  };
}
