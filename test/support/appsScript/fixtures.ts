/** Sheets for the add-on tests: a header row and people with YouTube/Drive links. */
import { TRACKING_COLUMNS } from '../../../shared/columns.js';
import type { CellValue } from '../sheetModel.js';

export const SPREADSHEET_ID = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd';
export const SECRET = 'test-secret-0123456789abcdef';

/** An 11-character YouTube id for row i. */
export function videoId(i: number): string {
  return 'v' + String(i).padStart(10, '0');
}
/** A 33-character Drive id for row i. */
export function driveId(i: number): string {
  return 'drive' + String(i).padStart(28, '0');
}

export interface PeopleOptions {
  rows: number;
  /** include the 8 tracking columns (empty) after the input columns */
  tracking?: boolean | readonly string[];
  /** extra columns before the link columns, to push tracking columns past Z */
  padColumns?: number;
  /** every nth row has no Drive link (0: all have one) */
  driveEvery?: number;
}

/** Header: row_id, name, email, type, [pad…], video, files, [tracking…]. */
export function peopleRows(o: PeopleOptions): CellValue[][] {
  const tracking = o.tracking === true ? [...TRACKING_COLUMNS] : o.tracking ? [...o.tracking] : [];
  const pad = Array.from({ length: o.padColumns ?? 0 }, (_, i) => `note_${i + 1}`);
  const header: CellValue[] = ['row_id', 'name', 'email', 'type', ...pad, 'video', 'files', ...tracking];
  const rows: CellValue[][] = [header];
  for (let i = 1; i <= o.rows; i++) {
    const drive = o.driveEvery && i % o.driveEvery === 0 ? '' : `https://drive.google.com/file/d/${driveId(i)}/view`;
    rows.push([
      String(100 + i),
      `Person ${i}`,
      `p${i}@example.org`,
      'FF-Fi/Se-CP/B(S) #4',
      ...pad.map(() => ''),
      `https://www.youtube.com/watch?v=${videoId(i)}`,
      drive,
      ...tracking.map(() => ''),
    ]);
  }
  return rows;
}
