/**
 * The sidebar: loads the state, renders it, runs actions with a busy state and a result message,
 * saves settings, and refreshes every few seconds while any row is queued or downloading.
 */
import type { ActionResult, SidebarApi, SidebarState } from '../src/api.js';
import { fillSettings, renderResult, renderState } from './render.js';
import { call } from './run.js';

/** How often the view refreshes while rows are queued/downloading, ms. */
const REFRESH_MS = 4000;
type ActionName = Exclude<keyof SidebarApi, 'getSidebarState' | 'saveSettings'>;
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

async function refresh(): Promise<void> {
  if (timer !== undefined) window.clearTimeout(timer);
  timer = undefined;
  let state: SidebarState;
  try {
    state = await call('getSidebarState');
  } catch (e) {
    renderResult({ ok: false, message: `Could not read the status: ${(e as Error).message}` });
    return;
  }
  renderState(state);
  if (!settingsFilled) {
    fillSettings(state);
    settingsFilled = true;
  }
  if (state.status?.active) timer = window.setTimeout(() => void (busy ? null : refresh()), REFRESH_MS);
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
      sources: [checked('src-youtube') ? 'youtube' : null, checked('src-drive') ? 'drive' : null].filter((s): s is 'youtube' | 'drive' => s !== null),
      leaseHours: Number(val('lease')),
      allowedHosts: val('hosts').split(/[\s,]+/).filter(Boolean),
    });
  } catch (e) {
    result = { ok: false, message: (e as Error).message };
  }
  setBusy(false, button);
  renderResult(result);
  if (result.ok) settingsFilled = false;
  await refresh();
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-action]'))) b.addEventListener('click', () => void runAction(b));
  document.getElementById('refresh')!.addEventListener('click', () => void refresh());
  document.getElementById('settings')!.addEventListener('submit', (ev) => void saveSettings(ev));
  void refresh();
});
