/**
 * Read-only views of a CSV sheet: `status`, `pending`, `failed`, `validate`. Each prints a table,
 * or JSON with --json.
 */
import {
  SOURCES,
  mapColumns,
  readStatus,
  sourceColumns,
  SHEET_STATUSES,
  type SheetStatus,
  type SourceName,
} from '../../../../shared/columns.js';
import { ERROR_ADVICE, parseErrorLines } from '../../../../shared/errors.js';
import { planDispatch, rowLinks, validateSheet } from '../../../../shared/rows.js';
import { readCsvSheet } from '../../sheets/csv.js';
import { configWith, existingCsv } from '../context.js';
import { formatTable, printJson } from '../output.js';

async function load(path: string) {
  const sheet = await readCsvSheet(existingCsv(path));
  const config = configWith();
  return {
    ...sheet,
    map: mapColumns(sheet.headers),
    allowedHosts: config.allowedHosts,
    driveRearchiveAfterMs: config.env.DRIVE_REARCHIVE_AFTER,
  };
}

/** `status`: counts per source and status among rows that have links for that source. */
export async function statusAction(path: string, o: { json?: boolean }): Promise<void> {
  const { rows, map, allowedHosts } = await load(path);
  const counts = {} as Record<SourceName, Record<SheetStatus, number>>;
  for (const s of SOURCES) counts[s] = Object.fromEntries(SHEET_STATUSES.map((st) => [st, 0])) as Record<SheetStatus, number>;
  for (const r of rows) {
    const links = rowLinks(map, r, allowedHosts);
    for (const s of SOURCES) {
      const col = map.tracking[sourceColumns(s).status];
      const cell = col === undefined ? '' : (r[col] ?? '').trim();
      // a row counts for a source when it has a link there, or a status from an earlier run
      if (links[s].length === 0 && cell === '') continue;
      counts[s][readStatus(cell)]++;
    }
  }
  const rate = (c: Record<SheetStatus, number>) => (c.completed + c.failed ? c.completed / (c.completed + c.failed) : null);
  if (o.json) return printJson({ bySource: counts, successRate: Object.fromEntries(SOURCES.map((s) => [s, rate(counts[s])])) });
  process.stdout.write(
    formatTable(
      ['source', ...SHEET_STATUSES, 'success rate'],
      SOURCES.map((s) => [
        s,
        ...SHEET_STATUSES.map((st) => counts[s][st]),
        rate(counts[s]) === null ? '–' : `${Math.round(rate(counts[s])! * 100)}%`,
      ]),
    ) + '\n',
  );
}

/** `pending`: what `run` would pick now. */
export async function pendingAction(path: string, o: { json?: boolean }): Promise<void> {
  const { headers, rows, allowedHosts, driveRearchiveAfterMs } = await load(path);
  // the same pick as `run`, DRIVE_REARCHIVE_AFTER included
  const { jobs, skipped } = planDispatch(headers, rows, { allowedHosts, ...(driveRearchiveAfterMs ? { driveRearchiveAfterMs } : {}) });
  if (o.json) return printJson({ jobs, skipped });
  process.stdout.write(
    formatTable(
      ['row', 'row_id', 'source', 'reason', 'attempt', 'links'],
      jobs.map((j) => [j.rowNumber, j.rowId, j.source, j.reason, j.attempt, j.links.length]),
    ) + '\n',
  );
  if (skipped.length)
    process.stdout.write(
      `\n${skipped.length} row(s) skipped:\n` +
        formatTable(
          ['row', 'problem'],
          skipped.map((s) => [s.rowNumber, s.message]),
        ) +
        '\n',
    );
}

/** `failed`: failed rows with their latest error and what to do. */
export async function failedAction(path: string, o: { json?: boolean }): Promise<void> {
  const { rows, map } = await load(path);
  const errCol = map.tracking.download_errors;
  const out: {
    rowNumber: number;
    rowId: string;
    source: SourceName;
    attempt: number;
    category: string;
    message: string;
    advice: string;
  }[] = [];
  rows.forEach((r, i) => {
    for (const s of SOURCES) {
      const col = map.tracking[sourceColumns(s).status];
      if (col === undefined || readStatus(r[col]) !== 'failed') continue;
      const line = parseErrorLines(errCol === undefined ? '' : r[errCol]).find((l) => l.source === s);
      out.push({
        rowNumber: i + 2,
        rowId: map.input.row_id === undefined ? '' : (r[map.input.row_id] ?? '').trim(),
        source: s,
        attempt: line?.attempt ?? 0,
        category: line?.category ?? '',
        message: line?.message ?? '',
        advice: line ? ERROR_ADVICE[line.category] : '',
      });
    }
  });
  if (o.json) return printJson({ failed: out });
  process.stdout.write(
    formatTable(
      ['row', 'row_id', 'source', 'attempt', 'error', 'what to do'],
      out.map((f) => [f.rowNumber, f.rowId, f.source, f.attempt, `${f.category}: ${f.message}`, f.advice]),
    ) + '\n',
  );
}

/** `validate`: duplicate/empty row_ids, missing headers, malformed links. Exit code 1 when there are issues. */
export async function validateAction(path: string, o: { json?: boolean }): Promise<void> {
  const { headers, rows, allowedHosts } = await load(path);
  const v = validateSheet(headers, rows, allowedHosts);
  if (o.json) printJson(v);
  else if (v.issues.length === 0)
    process.stdout.write(`${path}: ${v.rowCount} rows, no problems. Link columns: ${v.linkColumns.join(', ') || 'none'}\n`);
  else
    process.stdout.write(
      formatTable(
        ['row', 'row_id', 'problem', 'detail'],
        v.issues.map((i) => [i.rowNumber, i.rowId, i.kind, i.message]),
      ) + `\n${v.issues.length} problem(s) in ${v.rowCount} rows.\n`,
    );
  if (v.issues.length) process.exitCode = 1;
}
