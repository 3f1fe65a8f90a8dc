/**
 * The worker's health report for the sidebar (issue 11): signed `GET /v1/report` through
 * UrlFetchApp, trimmed to what the sidebar shows, and kept in the user's cache for
 * REPORT_CACHE_S so opening and refreshing the sidebar often does not hammer the worker
 * (CacheService: https://developers.google.com/apps-script/reference/cache/cache#put(String,String,Integer)).
 */
import type { WorkerAlertView, WorkerReportView } from './api.js';
import { describeFetchException, describeHttpFailure, signedRequest } from './workerClient.js';

export const REPORT_PATH = '/v1/report';
/** seconds a fetched report is reused */
export const REPORT_CACHE_S = 60;

/** A view saying why there is no report. */
export function noReport(message: string): WorkerReportView {
  return { ok: false, message, status: null, alerts: [], successRate: null, pending: null, generatedAt: null };
}

const STATUSES = ['healthy', 'warning', 'critical'] as const;

/** Keeps the fields the sidebar shows, checking their types (the worker's answer is not trusted blindly). */
export function toView(body: unknown): WorkerReportView {
  const r = (body ?? {}) as Record<string, unknown>;
  const status = STATUSES.find((s) => s === r['status']);
  if (!status) return noReport('The worker answered, but not with a health report (is it an older version?).');
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
  const alerts: WorkerAlertView[] = (Array.isArray(r['alerts']) ? r['alerts'] : []).slice(0, 20).map((a: Record<string, unknown>) => ({
    id: str(a['id'], 100),
    severity: a['severity'] === 'critical' ? 'critical' : 'warning',
    message: str(a['message'], 500),
    advice: str(a['advice'], 500),
  }));
  const sr = (r['successRate'] as Record<string, unknown> | undefined)?.['overall'];
  const pending = (r['jobs'] as Record<string, unknown> | undefined)?.['pending'];
  return {
    ok: true,
    message: '',
    status,
    alerts,
    successRate: typeof sr === 'number' ? sr : null,
    pending: typeof pending === 'number' ? pending : null,
    generatedAt: typeof r['generatedAt'] === 'string' ? r['generatedAt'] : null,
  };
}

/**
 * The report, from the cache when fetched in the last REPORT_CACHE_S seconds.
 * @param spreadsheetId scopes the cache entry (settings are per spreadsheet)
 */
export function workerReport(baseUrl: string, secret: string, spreadsheetId: string): WorkerReportView {
  const cache = CacheService.getUserCache();
  const key = `workerReport:${spreadsheetId}`;
  const hit = cache?.get(key);
  if (hit) return JSON.parse(hit) as WorkerReportView;
  let res: GoogleAppsScript.URL_Fetch.HTTPResponse;
  try {
    const { url, ...params } = signedRequest(baseUrl, secret, 'get', REPORT_PATH);
    res = UrlFetchApp.fetch(url!, params);
  } catch (e) {
    return noReport(describeFetchException(baseUrl, String((e as Error)?.message ?? e)));
  }
  const code = res.getResponseCode();
  if (code !== 200) return noReport(describeHttpFailure(code, res.getContentText()));
  let view: WorkerReportView;
  try {
    view = toView(JSON.parse(res.getContentText()));
  } catch {
    return noReport('The worker answered with something that is not JSON.');
  }
  if (view.ok) cache?.put(key, JSON.stringify(view), REPORT_CACHE_S);
  return view;
}
