/**
 * The contract between the server functions (Code.js) and the sidebar (sidebar.html): plain
 * data only, because google.script.run serialises arguments and results (no Dates, no
 * functions, no class instances — see https://developers.google.com/apps-script/guides/html/reference/run).
 * Type-only module: imported by both halves, emits nothing.
 */
import type { SheetStatus, SourceName } from '../../shared/columns.js';

/** What every action returns: `ok` false means nothing harmful happened but the user must act. */
export interface ActionResult {
  ok: boolean;
  /** one or two plain sentences, shown as is */
  message: string;
  /** optional extra lines (issues, skipped rows), at most ~50 */
  details?: string[];
}

/** Settings as the sidebar sees them. The secret is never sent back, only its hint. */
export interface SettingsView {
  workerUrl: string;
  /** `••••3f9a` (last 4 characters) or '' when this user has saved no secret for this spreadsheet */
  secretHint: string;
  sources: SourceName[];
  /** lease after which queued/downloading rows are dispatched again, hours */
  leaseHours: number;
  /** extra media hosts the worker allows (host or host:port), sent to yt-dlp as youtube links */
  allowedHosts: string[];
  /** the tab the add-on works on */
  sheetName: string;
  /** `7d`…: completed Drive rows are dispatched again after this; '' never (docs/catalogue.md "Versions") */
  driveRearchiveAfter?: string;
}

/** What `saveSettings` accepts. `secret` '' or absent keeps the saved one. */
export interface SettingsInput {
  workerUrl?: string;
  secret?: string;
  sources?: SourceName[];
  leaseHours?: number;
  allowedHosts?: string[];
  /** `7d`, `12h`, `2w`…, or '' for never: completed Drive rows are dispatched again after this */
  driveRearchiveAfter?: string;
}

export interface AttentionRow {
  rowNumber: number;
  rowId: string;
  source: SourceName;
  status: SheetStatus;
  /** the source's line from download_errors, or a note such as "queued for 3 h" */
  error: string;
  /** ERROR_ADVICE for the category, '' when unknown */
  advice: string;
}

export interface RunRecord {
  /** ISO 8601 UTC */
  at: string;
  ok: boolean;
  rowsSent: number;
  jobsAccepted: number;
  errors: string[];
  message: string;
}

/** One problem `validate` found (shared/rows.ts SheetIssue), e.g. a bad archive_options token. */
export interface IssueView {
  /** 1-based; 1 is the header */
  rowNumber: number;
  rowId: string;
  kind: 'missing_header' | 'empty_row_id' | 'duplicate_row_id' | 'malformed_link' | 'bad_options' | 'erased';
  message: string;
}

/** What a live update carries: read from the row_id and tracking columns only (pollStatus). */
export interface LiveStatus {
  sheetName: string;
  /** counts[source][status]; in a live update `pending` is 0 (the sidebar derives it from the last full read) */
  counts: Record<SourceName, Record<SheetStatus, number>>;
  attention: AttentionRow[];
  /** total rows needing attention (attention is cut to 50) */
  attentionTotal: number;
  /** any row queued or downloading: the sidebar keeps refreshing */
  active: boolean;
  /** rows counted (full read: rows with links) */
  rowCount: number;
}

export interface StatusView extends LiveStatus {
  /** completed / (completed + failed) across sources, 0…1; null when nothing finished yet */
  successRate: number | null;
  linkColumns: string[];
  missingTracking: string[];
  missingInput: string[];
  /** sheet problems (validate), first 50, by row */
  issues: IssueView[];
  issuesTotal: number;
}

/** What pollStatus needs, taken from the last full state so a poll reads no properties. */
export interface PollRequest {
  sheetName: string;
  sources: SourceName[];
  leaseHours: number;
}

export interface SidebarState {
  settings: SettingsView;
  status: StatusView | null;
  /** set when the status could not be read (e.g. the tab is missing) */
  statusError: string;
  /** this user's hourly trigger in this document; null when it cannot be read (permission missing) */
  scheduled: boolean | null;
  /** this user's last scheduled run here */
  lastScheduledRun: RunRecord | null;
  lastDispatch: RunRecord | null;
}

/** One archived file of a row, with a link that opens without the signature header. */
export interface ArchivedFileView {
  assetId: string;
  fileName: string;
  /** video, audio, subtitles, transcript, thumbnail, comments, document, export */
  kind: string;
  source: string;
  mediaId: string;
  title: string | null;
  /** bytes */
  size: number;
  /** `<worker origin>/v1/assets/<id>/content?expires=…&sig=…` */
  url: string;
}

/** The per-row panel: a row's archived files (getArchivedMedia). */
export interface ArchivedMediaView {
  ok: boolean;
  message: string;
  rowId: string;
  files: ArchivedFileView[];
  /** files the row has, linked or not (at most 20 are linked) */
  total: number;
  /** ISO 8601 UTC; '' when there are no links */
  expiresAt: string;
}

/** One alert of the worker's report (GET /v1/report, issue 11): what holds and what to do. */
export interface WorkerAlertView {
  id: string;
  severity: 'warning' | 'critical';
  message: string;
  advice: string;
}

/** The worker's health report as the sidebar shows it; `ok` false: it could not be read (`message` says why). */
export interface WorkerReportView {
  ok: boolean;
  message: string;
  status: 'healthy' | 'warning' | 'critical' | null;
  alerts: WorkerAlertView[];
  /** completed / (completed + failed) over the report window, 0…1; null when nothing finished */
  successRate: number | null;
  /** open jobs on the worker */
  pending: number | null;
  /** ISO 8601 UTC: when the worker built the report */
  generatedAt: string | null;
}

/** The server functions the sidebar may call (see main.ts). */
export interface SidebarApi {
  getSidebarState(): SidebarState;
  pollStatus(request: PollRequest): LiveStatus;
  saveSettings(input: SettingsInput): ActionResult;
  addTrackingColumns(): ActionResult;
  dispatchPendingRows(): ActionResult;
  retryFailedRows(): ActionResult;
  resetSelectedRows(): ActionResult;
  validateSheet(): ActionResult;
  scheduleHourlyDispatch(): ActionResult;
  stopSchedule(): ActionResult;
  checkWorker(): ActionResult;
  getArchivedMedia(rowId: string): ArchivedMediaView;
  getWorkerReport(): WorkerReportView;
}
