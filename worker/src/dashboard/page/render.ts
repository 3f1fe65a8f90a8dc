/**
 * Draws the overview into the page shell (dashboard/html.ts): counts, running jobs with progress
 * bars, failing rows with advice, alerts, lane pauses. Buttons carry the job id in data-job-id;
 * main.ts handles their clicks.
 */
import type { JobView } from '../routes.js';
import type { Overview } from './api.js';
import { byId, el, showEmpty } from './dom.js';

const STATUS_ORDER = ['queued', 'downloading', 'uploading', 'retrying', 'completed', 'failed', 'cancelled'] as const;
const SOURCE_NAMES: Record<string, string> = { youtube: 'YouTube', drive: 'Drive' };

function rowLabel(j: JobView): string {
  return `Row ${j.rowNumber} · ${j.rowId} · ${SOURCE_NAMES[j.source] ?? j.source}`;
}

function button(label: string, action: 'retry' | 'cancel', j: JobView): HTMLButtonElement {
  return el('button', {
    text: label,
    class: action === 'cancel' ? 'quiet' : '',
    attrs: { type: 'button', 'data-action': action, 'data-job-id': j.jobId, 'aria-label': `${label} ${rowLabel(j)}` },
  });
}

/** The percent a job's progress shows, 0…100. */
export function percentOf(j: Pick<JobView, 'progress'>): number {
  return Math.round((j.progress?.fraction ?? 0) * 1000) / 10;
}

function progressItem(j: JobView): HTMLLIElement {
  const id = `p-${j.jobId}`;
  const pct = percentOf(j);
  const bar = el('progress', { attrs: { id, max: '100', value: String(pct) } });
  const label = el('label', { text: rowLabel(j), attrs: { for: id } });
  const detail = el('span', {
    class: 'detail',
    text: `${j.status}, attempt ${j.attempt}${j.status === 'queued' || j.status === 'retrying' ? '' : ` · ${pct} %`}`,
  });
  return el(
    'li',
    { class: 'job', attrs: { 'data-job-id': j.jobId, 'data-status': j.status } },
    label,
    bar,
    el('div', { class: 'job-foot' }, detail, button('Cancel', 'cancel', j)),
  );
}

/** Moves one running job's bar (a job.progress event) without redrawing the list. */
export function setProgress(jobId: string, percent: number, stage?: string): void {
  const li = document.querySelector<HTMLLIElement>(`#running li[data-job-id="${CSS.escape(jobId)}"]`);
  if (!li) return;
  li.querySelector('progress')?.setAttribute('value', String(percent));
  const detail = li.querySelector('.detail');
  if (detail) detail.textContent = `${stage ?? 'downloading'} · ${percent} %`;
}

function failingRow(j: JobView): HTMLTableRowElement {
  const msg = el('p', { class: 'error', text: j.error?.message ?? '(no message)' });
  const advice = j.advice ? el('p', { class: 'advice', text: j.advice }) : null;
  return el(
    'tr',
    { attrs: { 'data-job-id': j.jobId, 'data-status': j.status } },
    el('th', { attrs: { scope: 'row' }, text: `Row ${j.rowNumber} · ${j.rowId}` }),
    el('td', { attrs: { 'data-label': 'Source' }, text: SOURCE_NAMES[j.source] ?? j.source }),
    el('td', { attrs: { 'data-label': 'Category' } }, el('span', { class: 'category', text: j.error?.category ?? j.status })),
    el('td', { attrs: { 'data-label': 'Error' } }, msg, advice),
    el('td', {}, button('Retry', 'retry', j)),
  );
}

/** Redraws everything from an overview. */
export function renderOverview(o: Overview): void {
  // counts change in place: the live region then announces only the counts that moved
  const counts = byId('counts');
  if (!counts.children.length)
    counts.replaceChildren(
      ...STATUS_ORDER.map((s) =>
        el(
          'li',
          // each count is read whole ("3 completed") when it changes
          { class: `count s-${s}`, attrs: { 'data-status': s, 'aria-atomic': 'true' } },
          el('span', { class: 'n', text: '0' }),
          el('span', { class: 'label', text: ` ${s}` }),
        ),
      ),
    );
  for (const s of STATUS_ORDER) {
    const n = counts.querySelector(`[data-status="${s}"] .n`)!;
    const v = String(o.stats?.byStatus[s] ?? 0);
    if (n.textContent !== v) n.textContent = v;
  }

  const jobs = [...o.running, ...o.waiting];
  byId('running').replaceChildren(...jobs.map(progressItem));
  showEmpty(byId('running'), byId('running-empty'), jobs.length === 0);

  const tbody = byId('failing').querySelector('tbody')!;
  tbody.replaceChildren(...o.failing.map(failingRow));
  showEmpty(byId('failing'), byId('failing-empty'), o.failing.length === 0);

  const r = o.report;
  const health = byId('health');
  health.textContent = r ? `Health: ${r.status}` : 'Health: no report';
  health.dataset['status'] = r?.status ?? 'unknown';

  const alerts = r?.alerts ?? [];
  byId('alerts').replaceChildren(
    ...alerts.map((a) =>
      el(
        'li',
        { class: `alert ${a.severity}`, attrs: { 'data-alert': a.id } },
        el('strong', { text: `${a.severity === 'critical' ? 'Critical' : 'Warning'}: ` }),
        el('span', { text: a.message }),
        el('p', { class: 'advice', text: a.advice }),
      ),
    ),
  );
  showEmpty(byId('alerts'), byId('alerts-empty'), alerts.length === 0);

  const lanes = r?.lanes ?? [];
  byId('lanes').replaceChildren(
    ...lanes.map((l) =>
      el('li', { attrs: { 'data-lane': l.lane }, text: `${l.lane}: paused until ${l.until.slice(11, 16)} UTC, ${l.jobs} job(s) waiting` }),
    ),
  );
  showEmpty(byId('lanes'), byId('lanes-empty'), lanes.length === 0);

  const trend = r?.trend ?? [];
  const done = trend.reduce((n, b) => n + b.completed, 0);
  const failed = trend.reduce((n, b) => n + b.failed, 0);
  byId('trend-summary').textContent = r
    ? `${done} completed and ${failed} failed in the last 24 hours, per hour (UTC).`
    : 'No health report on this worker.';
}
