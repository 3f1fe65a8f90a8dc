/** The sidebar's live status: counts per source and status, success rate, rows needing attention. */
import { SHEET_STATUSES, SOURCES, readStatus, sourceColumns, type SheetStatus, type SourceName } from '../../shared/columns.js';
import { ERROR_ADVICE, parseErrorLines } from '../../shared/errors.js';
import { rowLinks, validateSheet } from '../../shared/rows.js';
import type { AttentionRow, StatusView } from './api.js';
import type { Settings } from './settings.js';
import type { SheetSnapshot } from './sheet.js';

const MAX_ATTENTION = 50;

function zeroCounts(): Record<SourceName, Record<SheetStatus, number>> {
  const one = () => Object.fromEntries(SHEET_STATUSES.map((s) => [s, 0])) as Record<SheetStatus, number>;
  return { youtube: one(), drive: one() };
}

/**
 * Counts (row, source) pairs that have links for the source. Failed rows, and rows queued or
 * downloading past the lease, need attention.
 * @param now ms since epoch.
 */
export function computeStatus(snap: SheetSnapshot, settings: Settings, now: number): StatusView {
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
    const links = rowLinks(map, r, settings.allowedHosts);
    if (!links.youtube.length && !links.drive.length) return;
    rowCount++;
    const errors = errCol === undefined ? [] : parseErrorLines(r[errCol]);
    for (const source of SOURCES) {
      if (!links[source].length || !settings.sources.includes(source)) continue;
      const sc = col(sourceColumns(source).status);
      const status = readStatus(sc === undefined ? '' : r[sc]);
      counts[source][status]++;
      let note = '';
      if (status === 'queued' || status === 'downloading') {
        active = true;
        const lastRaw = lastCol === undefined ? '' : r[lastCol];
        const last = lastRaw instanceof Date ? lastRaw.getTime() : Date.parse(String(lastRaw));
        if (Number.isFinite(last) && now - last > settings.leaseMs) note = `${status} for ${Math.round((now - last) / 3_600_000)} h: it will be sent again`;
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
  });
  let done = 0;
  let failed = 0;
  for (const s of SOURCES) {
    done += counts[s].completed;
    failed += counts[s].failed;
  }
  return {
    sheetName: snap.sheet.getName(),
    rowCount,
    counts,
    successRate: done + failed ? done / (done + failed) : null,
    attention,
    attentionTotal,
    active,
    linkColumns: validateSheet(snap.headers, snap.rows, settings.allowedHosts).linkColumns,
    missingTracking: map.missingTracking,
    missingInput: map.missingInput,
  };
}

