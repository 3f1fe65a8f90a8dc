/** The sidebar's status: counts per source and status, success rate, rows needing attention, sheet problems. */
import { SHEET_STATUSES, SOURCES, readStatus, sourceColumns, type SheetStatus, type SourceName } from '../../shared/columns.js';
import { ERROR_ADVICE, parseErrorLines } from '../../shared/errors.js';
import { rowLinks, validateSheet } from '../../shared/rows.js';
import type { AttentionRow, LiveStatus, StatusView } from './api.js';
import type { SheetSnapshot } from './sheet.js';

const MAX_ATTENTION = 50;
const MAX_ISSUES = 50;

/** What status counting needs from the settings. */
export interface StatusSettings {
  sources: readonly SourceName[];
  leaseMs: number;
  allowedHosts: readonly string[];
}

function zeroCounts(): Record<SourceName, Record<SheetStatus, number>> {
  const one = () => Object.fromEntries(SHEET_STATUSES.map((s) => [s, 0])) as Record<SheetStatus, number>;
  return { youtube: one(), drive: one() };
}

/**
 * Counts (row, source) pairs and collects the rows needing attention (failed, or queued/downloading
 * past the lease).
 * @param linkAware true: count pairs whose row has links for the source (the full read);
 *   false: the snapshot holds tracking columns only (sheet.ts readTracking), so count every
 *   non-empty status — a status is only ever written for a row with links.
 * @param now ms since epoch.
 */
export function countStatuses(snap: SheetSnapshot, settings: StatusSettings, now: number, linkAware: boolean): LiveStatus {
  const { map, rows } = snap;
  const counts = zeroCounts();
  const attention: AttentionRow[] = [];
  let attentionTotal = 0;
  let active = false;
  let rowCount = 0;
  const col = (name: string) => (map.tracking as Record<string, number | undefined>)[name];
  const idCol = map.input.row_id;
  const errCol = col('download_errors');
  const lastCol = col('last_download_attempt');
  rows.forEach((r, i) => {
    const links = linkAware ? rowLinks(map, r, settings.allowedHosts) : null;
    if (links && !links.youtube.length && !links.drive.length) return;
    let counted = false;
    const errors = errCol === undefined ? [] : parseErrorLines(r[errCol]);
    for (const source of SOURCES) {
      if (!settings.sources.includes(source)) continue;
      const sc = col(sourceColumns(source).status);
      const status = readStatus(sc === undefined ? '' : r[sc]);
      if (links ? !links[source].length : status === 'pending') continue;
      counts[source][status]++;
      counted = true;
      let note = '';
      if (status === 'queued' || status === 'downloading') {
        active = true;
        const lastRaw = lastCol === undefined ? '' : r[lastCol];
        const last = lastRaw instanceof Date ? lastRaw.getTime() : Date.parse(String(lastRaw));
        if (Number.isFinite(last) && now - last > settings.leaseMs)
          note = `${status} for ${Math.round((now - last) / 3_600_000)} h: it will be sent again`;
      }
      const line = errors.filter((e) => e.source === source).pop();
      if (status !== 'failed' && !note) continue;
      attentionTotal++;
      if (attention.length >= MAX_ATTENTION) continue;
      attention.push({
        rowNumber: i + 2,
        rowId: idCol === undefined ? '' : String(r[idCol] ?? ''),
        source,
        status,
        error: note || (line ? `#${line.attempt} ${line.category}: ${line.message}` : 'failed (no error recorded)'),
        advice: !note && line ? ERROR_ADVICE[line.category] : '',
      });
    }
    if (counted || links) rowCount++;
  });
  return { sheetName: snap.sheet.getName(), counts, attention, attentionTotal, active, rowCount };
}

/** The full status from a whole-sheet read: counts, success rate, attention, link columns and sheet problems. */
export function computeStatus(snap: SheetSnapshot, settings: StatusSettings, now: number): StatusView {
  const live = countStatuses(snap, settings, now, true);
  let done = 0;
  let failed = 0;
  for (const s of SOURCES) {
    done += live.counts[s].completed;
    failed += live.counts[s].failed;
  }
  const v = validateSheet(snap.headers, snap.rows, settings.allowedHosts);
  const issues = v.issues.sort((a, b) => a.rowNumber - b.rowNumber);
  return {
    ...live,
    successRate: done + failed ? done / (done + failed) : null,
    linkColumns: v.linkColumns,
    missingTracking: snap.map.missingTracking,
    missingInput: snap.map.missingInput,
    issues: issues.slice(0, MAX_ISSUES).map((i) => ({ rowNumber: i.rowNumber, rowId: i.rowId, kind: i.kind, message: i.message })),
    issuesTotal: issues.length,
  };
}
