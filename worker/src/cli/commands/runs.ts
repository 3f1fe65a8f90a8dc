/**
 * `sheet-archiver runs` and `sheet-archiver runs show ID` (issue 11, run logs): the recent runs
 * from `<ARCHIVER_DATA>/logs/runs/`, and one run's summary and log lines (readable, in colour on
 * a terminal; JSON with --json; --follow keeps printing until the run ends).
 */
import { styleText } from 'node:util';
import { RUN_ID_PATTERN, runLogDir } from '../../runs/ids.js';
import { followRun, listRuns, readRun, type RunInfo, type RunLine } from '../../runs/read.js';
import { configWith, UsageError } from '../context.js';
import { formatBytes, formatDuration, formatTable, printJson } from '../output.js';

export interface RunsOptions {
  json?: boolean;
  limit?: number;
}

export interface RunsShowOptions {
  json?: boolean;
  follow?: boolean;
}

/** pino's level numbers (https://getpino.io/#/docs/api?id=loggerlevels) */
const LEVELS: Record<number, { name: string; style: Parameters<typeof styleText>[0] }> = {
  10: { name: 'TRACE', style: 'gray' },
  20: { name: 'DEBUG', style: 'gray' },
  30: { name: 'INFO', style: 'green' },
  40: { name: 'WARN', style: 'yellow' },
  50: { name: 'ERROR', style: 'red' },
  60: { name: 'FATAL', style: 'magenta' },
};
/** Fields every line has, left out of the readable form. */
const COMMON = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'runId']);

const dir = () => runLogDir(configWith().dataDir);

/** "3 completed, 1 failed" (zero counts left out). */
function outcomes(j: RunInfo['jobs']): string {
  const parts = (['completed', 'failed', 'cancelled', 'other'] as const)
    .filter((k) => j[k] > 0)
    .map((k) => `${j[k]} ${k === 'other' ? 'open' : k}`);
  return parts.join(', ') || '—';
}

/** The runs as a table. */
export function formatRuns(runs: readonly RunInfo[]): string {
  if (!runs.length) return 'No run logs yet.';
  return formatTable(
    ['run', 'started', 'duration', 'spreadsheet', 'jobs', 'outcomes', 'status'],
    runs.map((r) => [
      r.runId,
      r.startedAt ? r.startedAt.replace(/\.\d+Z$/, 'Z') : '—',
      r.durationMs === null ? '—' : formatDuration(r.durationMs),
      r.sheetName ?? r.spreadsheetId ?? '—',
      r.jobs.total,
      outcomes(r.jobs),
      r.status,
    ]),
  );
}

/** One log line as a person reads it: `12:00:01 INFO  job finished  jobId=j_… status=completed`. */
export function formatLine(l: RunLine, colour: boolean): string {
  // the caller decided (a terminal, no NO_COLOR): do not let styleText look at the stream again
  const paint = (style: Parameters<typeof styleText>[0], s: string) => (colour ? styleText(style, s, { validateStream: false }) : s);
  const lv = LEVELS[l.level ?? 30] ?? { name: String(l.level), style: 'white' as const };
  const time = l.time === undefined ? '--:--:--' : new Date(l.time).toISOString().slice(11, 19);
  const fields = Object.entries(l)
    .filter(([k]) => !COMMON.has(k))
    .map(([k, v]) => `${paint('dim', `${k}=`)}${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [paint('dim', time), paint(lv.style, lv.name.padEnd(5)), paint('bold', String(l.msg ?? '')), ...fields].join(' ');
}

/** The summary block of one run. */
export function formatRunInfo(r: RunInfo): string {
  const s = r.summary;
  const rows: string[] = [
    `run:         ${r.runId} (${r.kind ?? 'unknown'}, ${r.status})`,
    `spreadsheet: ${r.sheetName ?? '—'}${r.spreadsheetId ? ` (${r.spreadsheetId})` : ''}`,
    `started:     ${r.startedAt ?? '—'}`,
    `duration:    ${r.durationMs === null ? '—' : formatDuration(r.durationMs)}`,
    `jobs:        ${r.jobs.total} (${outcomes(r.jobs)})`,
  ];
  if (s) {
    rows.push(`rows:        ${s.rows}`, `files:       ${s.files}, ${formatBytes(s.bytes)}`);
    const cats = Object.entries(s.categories);
    if (cats.length) rows.push(`failures:    ${cats.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  }
  return rows.join('\n');
}

/** `runs` as commander calls it. */
export async function runsAction(o: RunsOptions): Promise<void> {
  const runs = await listRuns(dir(), o.limit ?? 20);
  if (o.json) printJson({ runs });
  else process.stdout.write(formatRuns(runs) + '\n');
}

/** `runs show ID` as commander calls it. Exit 1 when there is no such run. */
export async function runsShowAction(runId: string, o: RunsShowOptions): Promise<void> {
  if (!RUN_ID_PATTERN.test(runId)) throw new UsageError(`ID: "${runId}" is not a run id (r_… or a dispatch id; see sheet-archiver runs)`);
  const d = dir();
  const run = await readRun(d, runId);
  if (!run) {
    process.stderr.write(`sheet-archiver: no run log for ${runId} (it may have been rotated away)\n`);
    process.exitCode = 1;
    return;
  }
  const colour = process.stdout.isTTY === true && !process.env['NO_COLOR'];
  if (!o.follow) {
    if (o.json) printJson(run);
    else process.stdout.write(`${formatRunInfo(run.info)}\n\n${run.lines.map((l) => formatLine(l, colour)).join('\n')}\n`);
    return;
  }
  // --follow: the lines as they come (JSON: one per line), then the summary
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  try {
    await followRun(
      d,
      runId,
      (lines) => {
        for (const l of lines) process.stdout.write((o.json ? JSON.stringify(l) : formatLine(l, colour)) + '\n');
      },
      { signal: ac.signal },
    );
  } finally {
    process.off('SIGINT', stop);
  }
  const end = await readRun(d, runId);
  if (end && !o.json) process.stdout.write(`\n${formatRunInfo(end.info)}\n`);
}
