/**
 * The page's calls to its worker (dashboard/routes.ts): the overview JSON, and retry/cancel with
 * the session's CSRF token (from the page's meta tag) in X-CSRF-Token. The session cookie goes
 * along by itself (same origin); the page holds no other credential.
 */
import type { HealthReport } from '../../alerts/report.js';
import type { JobStats } from '../../jobs/types.js';
import type { JobView } from '../routes.js';

/** GET /ui/api/overview. */
export interface Overview {
  generatedAt: string;
  stats: JobStats | null;
  report: HealthReport | null;
  running: JobView[];
  waiting: JobView[];
  failing: JobView[];
}

/** Thrown for a non-2xx answer; `message` is the worker's (safe to show). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (res.status === 401) location.reload(); // the session ended: show the sign-in page
  if (!res.ok) throw new ApiError(res.status, body.message ?? `HTTP ${res.status}`);
  return body as T;
}

export async function fetchOverview(): Promise<Overview> {
  return answer<Overview>(await fetch('/ui/api/overview', { headers: { Accept: 'application/json' } }));
}

/** POSTs a state-changing call with the CSRF token. */
export async function post<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' } }));
}

export const retryJob = (jobId: string) => post<{ status: string; attempt: number }>(`/ui/api/jobs/${encodeURIComponent(jobId)}/retry`);
export const cancelJob = (jobId: string) => post<{ status: string }>(`/ui/api/jobs/${encodeURIComponent(jobId)}/cancel`);
export const logout = () => post<{ ok: boolean }>('/ui/logout');
