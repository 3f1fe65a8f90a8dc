/**
 * The sidebar: loads the state, renders it, runs actions with a busy state and a result message,
 * saves settings, and keeps the status live while any row is queued or downloading, with the
 * backoff of live.ts. A live update reads only the tracking columns (pollStatus); a failed one
 * pauses live updates visibly, with the error and a "Resume live updates" button.
 */
import type { ActionResult, LiveStatus, SidebarApi, SidebarState } from '../src/api.js';
import { afterPoll, startSchedule, type LiveSchedule } from './live.js';
import { fillSettings, mergeLive, renderLive, renderPanel, renderResult, renderState, renderWorkerReport } from './render.js';
import { call } from './run.js';

type ActionName = Exclude<keyof SidebarApi, 'getSidebarState' | 'saveSettings' | 'pollStatus' | 'getArchivedMedia' | 'getWorkerReport'>;
const ACTIONS: readonly ActionName[] = [
  'dispatchPendingRows',
  'retryFailedRows',
  'addTrackingColumns',
  'resetSelectedRows',
  'validateSheet',
  'checkWorker',
  'scheduleHourlyDispatch',
  'stopSchedule',
];

let busy = false;
let timer: number | undefined;
let settingsFilled = false;
/** the last full state: the base live updates are merged into */
let last: SidebarState | null = null;
let lastLive = '';
let schedule: LiveSchedule = startSchedule(Date.now());

function buttons(): HTMLButtonElement[] {
  return Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-action], #save-settings'));
}

function setBusy(on: boolean, active?: HTMLButtonElement): void {
  busy = on;
  document.getElementById('app')!.setAttribute('aria-busy', String(on));
  for (const b of buttons()) b.disabled = on;
  if (active) {
    if (on) {
      active.dataset['label'] = active.textContent ?? '';
      active.textContent = 'Working…';
      active.classList.add('busy');
    } else {
      active.textContent = active.dataset['label'] ?? active.textContent;
      active.classList.remove('busy');
    }
  }
}

function stopTimer(): void {
  if (timer !== undefined) window.clearTimeout(timer);
  timer = undefined;
}

function planPoll(): void {
  stopTimer();
  renderLive({ kind: 'on', delayMs: schedule.delayMs });
  timer = window.setTimeout(() => void poll(), schedule.delayMs);
}

function withoutPending(counts: LiveStatus['counts']): LiveStatus['counts'] {
  return { youtube: { ...counts.youtube, pending: 0 }, drive: { ...counts.drive, pending: 0 } };
}

function liveKey(l: LiveStatus): string {
  return JSON.stringify([l.counts, l.attention, l.attentionTotal, l.active]);
}

async function poll(): Promise<void> {
  timer = undefined;
  if (!last?.status) return;
  if (busy) return planPoll();
  let live: LiveStatus;
  try {
    live = await call('pollStatus', {
      sheetName: last.status.sheetName,
      sources: last.settings.sources,
      leaseHours: last.settings.leaseHours,
    });
  } catch (e) {
    renderLive({ kind: 'error', message: (e as Error).message });
    return;
  }
  const key = liveKey(live);
  const changed = key !== lastLive;
  lastLive = key;
  if (changed) renderState(mergeLive(last, live));
  if (!live.active) {
    // Nothing left to watch: one full read brings the success rate and the rest up to date.
    await refresh();
    return;
  }
  const { next, stop } = afterPoll(schedule, changed, Date.now());
  schedule = next;
  if (stop) renderLive({ kind: 'stopped' });
  else planPoll();
}

/** A full read; restarts live updates at 4 s when rows are queued or downloading. */
async function refresh(): Promise<void> {
  stopTimer();
  let state: SidebarState;
  try {
    state = await call('getSidebarState');
  } catch (e) {
    renderResult({ ok: false, message: `Could not read the status: ${(e as Error).message}` });
    return;
  }
  last = state;
  // What a live update of this same sheet would carry (no pending counts): only a real change differs.
  lastLive = state.status ? liveKey({ ...state.status, counts: withoutPending(state.status.counts) }) : '';
  renderState(state);
  if (!settingsFilled) {
    fillSettings(state);
    settingsFilled = true;
  }
  schedule = startSchedule(Date.now());
  if (state.status?.active) planPoll();
  else renderLive({ kind: 'off' });
}

/**
 * The worker's health report, on open and on Refresh only (never on live polls); the server side
 * caches it for a minute.
 */
async function loadWorkerReport(): Promise<void> {
  renderWorkerReport(null);
  try {
    renderWorkerReport(await call('getWorkerReport'));
  } catch (e) {
    renderWorkerReport({
      ok: false,
      message: (e as Error).message,
      status: null,
      alerts: [],
      successRate: null,
      pending: null,
      generatedAt: null,
    });
  }
}

async function runAction(button: HTMLButtonElement): Promise<void> {
  const name = button.dataset['action'] as ActionName | undefined;
  if (busy || !name || !ACTIONS.includes(name)) return;
  setBusy(true, button);
  renderResult({ ok: true, message: `${button.dataset['label']}…` });
  let result: ActionResult;
  try {
    result = await call(name);
  } catch (e) {
    result = { ok: false, message: (e as Error).message };
  }
  setBusy(false, button);
  renderResult(result);
  await refresh();
}

async function saveSettings(ev: Event): Promise<void> {
  ev.preventDefault();
  if (busy) return;
  const val = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
  const checked = (id: string) => (document.getElementById(id) as HTMLInputElement).checked;
  const button = document.getElementById('save-settings') as HTMLButtonElement;
  setBusy(true, button);
  let result: ActionResult;
  try {
    result = await call('saveSettings', {
      workerUrl: val('worker-url'),
      secret: val('secret'),
      sources: [checked('src-youtube') ? 'youtube' : null, checked('src-drive') ? 'drive' : null].filter(
        (s): s is 'youtube' | 'drive' => s !== null,
      ),
      leaseHours: Number(val('lease')),
      allowedHosts: val('hosts')
        .split(/[\s,]+/)
        .filter(Boolean),
    });
  } catch (e) {
    result = { ok: false, message: (e as Error).message };
  }
  setBusy(false, button);
  renderResult(result);
  // Saved (even when the connection test then failed): show what was stored.
  if (/^Settings saved/.test(result.message)) settingsFilled = false;
  await refresh();
}

let panelSeq = 0;

/** Opens a row's panel: asks the add-on (and so the worker) only now, on demand. */
async function showFiles(rowId: string): Promise<void> {
  const id = rowId.trim();
  if (!id) return renderPanel({ ok: false, message: 'Type a row_id first.', rowId: '', files: [], total: 0, expiresAt: '' });
  (document.getElementById('panel-row-id') as HTMLInputElement).value = id;
  const seq = ++panelSeq;
  renderPanel({ loading: id });
  let view;
  try {
    view = await call('getArchivedMedia', id);
  } catch (e) {
    view = { ok: false, message: (e as Error).message, rowId: id, files: [], total: 0, expiresAt: '' };
  }
  // a slower answer for an earlier row must not replace the row asked for last
  if (seq === panelSeq) renderPanel(view);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('attention')!.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-row-id]');
    if (b) void showFiles(b.dataset['rowId'] ?? '');
  });
  document.getElementById('panel')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void showFiles((document.getElementById('panel-row-id') as HTMLInputElement).value);
  });
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-action]')))
    b.addEventListener('click', () => void runAction(b));
  document.getElementById('refresh')!.addEventListener('click', () => {
    void loadWorkerReport();
    void refresh();
  });
  document.getElementById('resume-live')!.addEventListener('click', () => void refresh());
  document.getElementById('settings')!.addEventListener('submit', (ev) => void saveSettings(ev));
  void loadWorkerReport();
  void refresh();
});
