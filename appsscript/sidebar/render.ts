/** Pure rendering helpers: state → DOM. No server calls here. */
import type { ActionResult, ArchivedMediaView, LiveStatus, RunRecord, SidebarState, StatusView, WorkerReportView } from '../src/api.js';

export const STATUS_ORDER = ['completed', 'queued', 'downloading', 'failed', 'pending'] as const;
const SOURCE_LABEL = { youtube: 'YouTube', drive: 'Drive' } as const;

/** Creates an element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing`);
  return e as T;
}

/** `2026-11-21T09:15:02Z` → `2026-11-21 09:15 UTC`. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

function runLine(r: RunRecord | null, none: string): string {
  if (!r) return none;
  return `${shortTime(r.at)}: ${r.ok ? '' : 'failed. '}${r.message}`;
}

/** One source: a stacked bar (decorative; the table carries the numbers) and a counts table. */
function sourceBlock(status: StatusView, source: 'youtube' | 'drive'): HTMLElement {
  const counts = status.counts[source];
  const total = STATUS_ORDER.reduce((n, s) => n + counts[s], 0);
  const wrap = el('div', { class: 'source', 'data-source': source });
  wrap.append(el('h3', {}, `${SOURCE_LABEL[source]} · ${total} ${total === 1 ? 'row' : 'rows'}`));
  const bar = el('div', { class: 'bar', 'aria-hidden': 'true' });
  for (const s of STATUS_ORDER) {
    if (!counts[s]) continue;
    const seg = el('span', { class: `seg ${s}`, title: `${s}: ${counts[s]}` });
    seg.style.width = `${(100 * counts[s]) / total}%`;
    bar.append(seg);
  }
  wrap.append(bar);
  const table = el('table', { class: 'counts' });
  table.append(el('caption', { class: 'sr-only' }, `${SOURCE_LABEL[source]} rows by status`));
  const body = el('tbody');
  for (const s of STATUS_ORDER) {
    const tr = el('tr', { 'data-status': s });
    const th = el('th', { scope: 'row' });
    th.append(el('span', { class: `dot ${s}`, 'aria-hidden': 'true' }), document.createTextNode(s));
    tr.append(th, el('td', {}, String(counts[s])));
    body.append(tr);
  }
  table.append(body);
  wrap.append(table);
  return wrap;
}

/**
 * A full state with a live update merged in: the live counts of queued/downloading/completed/failed,
 * and `pending` = the rows with links for the source (from the full read) minus those.
 */
export function mergeLive(base: SidebarState, live: LiveStatus): SidebarState {
  const st = base.status;
  if (!st) return base;
  const counts = { ...st.counts };
  let done = 0;
  let failed = 0;
  for (const source of Object.keys(counts) as (keyof typeof counts)[]) {
    const linked = STATUS_ORDER.reduce((n, s) => n + st.counts[source][s], 0);
    const c = { ...live.counts[source] };
    c.pending = Math.max(0, linked - (c.queued + c.downloading + c.completed + c.failed));
    counts[source] = c;
    done += c.completed;
    failed += c.failed;
  }
  const successRate = done + failed ? done / (done + failed) : null;
  return {
    ...base,
    status: { ...st, counts, attention: live.attention, attentionTotal: live.attentionTotal, active: live.active, successRate },
  };
}

/** What the live-updates line shows. */
export type LiveView = { kind: 'on'; delayMs: number } | { kind: 'off' } | { kind: 'stopped' } | { kind: 'error'; message: string };

/** The live-updates line and its "Resume live updates" button (shown when stopped or paused). */
export function renderLive(v: LiveView): void {
  const box = byId('live');
  const text = byId('live-text');
  const resume = byId<HTMLButtonElement>('resume-live');
  box.className = v.kind === 'error' ? 'live error' : 'live';
  box.setAttribute('role', v.kind === 'error' ? 'alert' : 'status');
  box.hidden = v.kind === 'off';
  resume.hidden = v.kind !== 'stopped' && v.kind !== 'error';
  text.textContent =
    v.kind === 'on'
      ? `Live updates: next check in ${Math.round(v.delayMs / 1000)} s.`
      : v.kind === 'stopped'
        ? 'Live updates stopped: nothing changed for 30 minutes.'
        : v.kind === 'error'
          ? `Live updates paused: ${v.message}`
          : '';
}

/** Renders the status, attention list, sheet problems, last runs and the schedule button. */
export function renderState(state: SidebarState): void {
  const st = state.status;
  byId('sheet-name').textContent = st ? `Tab: ${st.sheetName}` : '';
  const charts = byId('charts');
  charts.replaceChildren();
  const summary = byId('status-summary');
  if (!st) {
    summary.textContent = state.statusError || 'No status yet.';
  } else {
    const notes: string[] = [`${st.rowCount} ${st.rowCount === 1 ? 'row has' : 'rows have'} links.`];
    if (st.missingTracking.length) notes.push('Tracking columns are missing: use "Add tracking columns".');
    if (st.missingInput.length) notes.push(`Missing column${st.missingInput.length > 1 ? 's' : ''}: ${st.missingInput.join(', ')}.`);
    if (st.active) notes.push('Refreshing while rows are queued or downloading.');
    summary.textContent = notes.join(' ');
    for (const s of state.settings.sources) charts.append(sourceBlock(st, s));
  }
  byId('success').textContent =
    st && st.successRate !== null
      ? `Success rate: ${Math.round(st.successRate * 100)} % of finished jobs completed.`
      : 'Success rate: nothing finished yet.';
  const noRun =
    state.scheduled === null
      ? 'Hourly schedule: unknown (the permission to run when you are away is missing).'
      : state.scheduled
        ? 'Last scheduled run: none yet.'
        : 'Hourly schedule is off.';
  byId('last-run').textContent = runLine(state.lastScheduledRun, noRun);
  if (state.lastScheduledRun) byId('last-run').textContent = 'Last scheduled run: ' + byId('last-run').textContent;
  byId('last-dispatch').textContent = state.lastDispatch ? 'Last dispatch: ' + runLine(state.lastDispatch, '') : '';
  const sched = byId<HTMLButtonElement>('btn-schedule');
  sched.dataset['action'] = state.scheduled ? 'stopSchedule' : 'scheduleHourlyDispatch';
  sched.textContent = state.scheduled ? 'Stop schedule' : 'Schedule hourly dispatch';

  const list = byId('attention');
  list.replaceChildren();
  const att = st?.attention ?? [];
  byId('attention-count').textContent = st ? (st.attentionTotal ? `(${st.attentionTotal})` : '(none)') : '';
  for (const a of att) {
    const li = el('li');
    li.append(
      el('strong', {}, `Row ${a.rowNumber}`),
      document.createTextNode(` · ${a.rowId || 'no row_id'} · ${SOURCE_LABEL[a.source]} ${a.status}`),
    );
    li.append(el('div', { class: 'err' }, a.error));
    if (a.advice) li.append(el('div', { class: 'advice' }, a.advice));
    if (a.rowId)
      li.append(
        el('button', { type: 'button', class: 'link', 'data-row-id': a.rowId, 'aria-label': `Archived files of row ${a.rowId}` }, 'Files'),
      );
    list.append(li);
  }
  if (st && st.attentionTotal > att.length) list.append(el('li', {}, `… and ${st.attentionTotal - att.length} more.`));
  const issues = byId('issues');
  issues.replaceChildren();
  byId('issues-count').textContent = st ? (st.issuesTotal ? `(${st.issuesTotal})` : '(none)') : '';
  for (const i of st?.issues ?? []) {
    const li = el('li', { 'data-kind': i.kind });
    li.append(el('strong', {}, `Row ${i.rowNumber}`), document.createTextNode(`${i.rowId ? ` · ${i.rowId}` : ''} · ${i.message}`));
    issues.append(li);
  }
  if (st && st.issuesTotal > st.issues.length)
    issues.append(el('li', {}, `… and ${st.issuesTotal - st.issues.length} more: use "Validate sheet".`));
  byId('link-columns').textContent = st ? (st.linkColumns.length ? st.linkColumns.join(', ') : 'none found') : '';
}

/** Shows an action's result (role=status announces it). */
export function renderResult(r: ActionResult): void {
  const box = byId('result');
  box.className = r.ok ? 'result ok' : 'result error';
  box.textContent = r.message;
  const details = byId('result-details');
  details.replaceChildren(...(r.details ?? []).map((d) => el('li', {}, d)));
}

/** Fills the settings form (only on first load and after saving, so typing is never clobbered). */
export function fillSettings(state: SidebarState): void {
  const s = state.settings;
  byId<HTMLInputElement>('worker-url').value = s.workerUrl;
  const secret = byId<HTMLInputElement>('secret');
  secret.value = '';
  secret.placeholder = s.secretHint || 'not set';
  byId('secret-hint').textContent = s.secretHint
    ? `Saved for this spreadsheet: ${s.secretHint}. Leave empty to keep it.`
    : 'No secret saved for you in this spreadsheet yet.';
  byId<HTMLInputElement>('src-youtube').checked = s.sources.includes('youtube');
  byId<HTMLInputElement>('src-drive').checked = s.sources.includes('drive');
  byId<HTMLInputElement>('lease').value = String(s.leaseHours);
  byId<HTMLInputElement>('hosts').value = s.allowedHosts.join(', ');
}

/** `1536` → `1.5 KB`. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** The per-row panel: the message, then one link per archived file (opened in a new tab). */
export function renderPanel(v: ArchivedMediaView | { loading: string }): void {
  const msg = byId('panel-message');
  const list = byId('panel-files');
  list.replaceChildren();
  if ('loading' in v) {
    msg.className = 'help';
    msg.textContent = `Looking up row ${v.loading}…`;
    return;
  }
  msg.className = v.ok ? 'help' : 'help error';
  msg.textContent = v.message;
  for (const f of v.files) {
    // only the worker's http(s) links become anchors: nothing else from an answer is ever a URL
    if (!/^https?:\/\//i.test(f.url)) continue;
    const li = el('li', { 'data-kind': f.kind });
    li.append(el('a', { href: f.url, target: '_blank', rel: 'noopener noreferrer' }, f.fileName));
    li.append(el('div', { class: 'muted' }, `${f.kind} · ${humanSize(f.size)}${f.title ? ` · ${f.title}` : ''}`));
    list.append(li);
  }
}

const HEALTH_TEXT = { healthy: 'Healthy', warning: 'Warning', critical: 'Critical' } as const;
const HEALTH_MARK = { healthy: '✓', warning: '!', critical: '✕' } as const;

/**
 * The worker's health report: the status as a word (the colour and mark only repeat it), the
 * success rate and open jobs, then each alert with its advice. `null` while it loads.
 */
export function renderWorkerReport(r: WorkerReportView | null): void {
  const status = byId('worker-status');
  const list = byId('worker-alerts');
  list.replaceChildren();
  if (!r) {
    status.className = 'health unknown';
    status.textContent = 'Loading…';
    return;
  }
  if (!r.ok || !r.status) {
    status.className = 'health unknown';
    status.textContent = `Worker health unknown: ${r.message}`;
    return;
  }
  status.className = `health ${r.status}`;
  status.dataset['status'] = r.status;
  const facts = [
    r.successRate === null ? '' : `${Math.round(r.successRate * 100)} % of jobs succeeded in the last 24 h`,
    r.pending === null ? '' : `${r.pending} open`,
    r.alerts.length ? `${r.alerts.length} ${r.alerts.length === 1 ? 'alert' : 'alerts'}` : 'no alerts',
  ].filter(Boolean);
  status.replaceChildren(
    el('span', { class: 'mark', 'aria-hidden': 'true' }, HEALTH_MARK[r.status]),
    document.createTextNode(`${HEALTH_TEXT[r.status]}: ${facts.join(', ')}.`),
  );
  for (const a of r.alerts) {
    const li = el('li', { class: a.severity, 'data-alert': a.id });
    const head = el('p');
    head.append(el('strong', {}, a.severity === 'critical' ? 'Critical: ' : 'Warning: '), document.createTextNode(a.message));
    li.append(head, el('p', { class: 'advice' }, `What to do: ${a.advice}`));
    list.append(li);
  }
}
