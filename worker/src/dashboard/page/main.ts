/**
 * The operator dashboard's script (docs/dashboard.md): loads the overview, keeps it live from the
 * session's event stream (/ui/api/events, the worker's /v1/events relayed), and sends retry and
 * cancel with the CSRF token. Bundled by scripts/build.mjs into worker/dist/ui/dashboard.js.
 */
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { cancelJob, fetchOverview, logout, retryJob, type Overview } from './api.js';
import { TrendChart } from './chart.js';
import { byId } from './dom.js';
import { renderOverview, setProgress } from './render.js';

/** Job events that change counts or lists (progress only moves a bar). */
const JOB_EVENTS = ['job.queued', 'job.started', 'job.completed', 'job.failed', 'job.cancelled', 'alert.raised', 'alert.cleared'];
/** Refreshes at most this often while events pour in, ms. */
const REFRESH_GAP_MS = 500;

let chart: TrendChart | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let refreshing: Promise<void> | null = null;

async function refresh(): Promise<void> {
  let o: Overview;
  try {
    o = await fetchOverview();
  } catch (err) {
    byId('live').textContent = `Could not load the overview: ${(err as Error).message}`;
    return;
  }
  // keep focus on a button across the redraw (the same job's, when it is still there)
  const focused = document.activeElement as HTMLElement | null;
  const key = focused?.dataset['jobId']
    ? `[data-job-id="${CSS.escape(focused.dataset['jobId'])}"][data-action="${focused.dataset['action']}"]`
    : null;
  renderOverview(o);
  if (key) document.querySelector<HTMLElement>(`button${key}`)?.focus();
  if (o.report) (chart ??= new TrendChart(byId('chart'))).update(o.report.trend);
  document.body.dataset['loadedAt'] = o.generatedAt;
}

function scheduleRefresh(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshing = (refreshing ?? Promise.resolve()).then(refresh);
  }, REFRESH_GAP_MS);
}

function connect(): void {
  const live = byId('live');
  const es = new EventSource('/ui/api/events');
  es.onopen = () => {
    live.textContent = 'Live';
    live.dataset['state'] = 'open';
    scheduleRefresh(); // catch up on anything missed while disconnected
  };
  es.onerror = () => {
    live.textContent = 'Reconnecting…';
    live.dataset['state'] = 'reconnecting';
  };
  for (const t of JOB_EVENTS) es.addEventListener(t, scheduleRefresh);
  es.addEventListener('job.progress', (ev) => {
    const e = JSON.parse((ev as MessageEvent<string>).data) as { jobId: string; data: { percent?: number; stage?: string } };
    setProgress(e.jobId, e.data.percent ?? 0, e.data.stage);
  });
}

async function onAction(button: HTMLButtonElement): Promise<void> {
  const jobId = button.dataset['jobId']!;
  const action = button.dataset['action'];
  const result = byId('action-result');
  button.disabled = true;
  try {
    const job = action === 'retry' ? await retryJob(jobId) : await cancelJob(jobId);
    result.textContent = `${action === 'retry' ? 'Retried' : 'Cancelled'} ${jobId}: now ${job.status}.`;
    result.dataset['outcome'] = 'ok';
  } catch (err) {
    result.textContent = `${action === 'retry' ? 'Retry' : 'Cancel'} of ${jobId} refused: ${(err as Error).message}`;
    result.dataset['outcome'] = 'error';
    button.disabled = false;
  }
  scheduleRefresh();
}

document.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
  if (b) void onAction(b);
});

document.addEventListener('DOMContentLoaded', () => {
  byId('logout').addEventListener('click', () => void logout().finally(() => location.reload()));
  void refresh().then(connect);
});
