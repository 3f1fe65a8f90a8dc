/**
 * An in-memory model of Google spreadsheets, shared by the Sheets API v4 stand-in (HTTP) and the
 * Apps Script services in the vm (SpreadsheetApp), so both halves see the same cells.
 *
 * Cells hold what Sheets stores: a string, number or boolean value, and optionally a formula.
 * 0-based indexes throughout; A1 conversion lives with the callers.
 */

export type CellValue = string | number | boolean;

export interface SheetData {
  sheetId: number;
  title: string;
  /** row-major; rows may be ragged; missing cells read as '' */
  values: CellValue[][];
  /** formulas by "r,c" (0-based) for cells written as formulas (USER_ENTERED "=…") */
  formulas: Map<string, string>;
  frozenRows: number;
  /** conditional format rules, opaque to the model */
  conditionalFormats: unknown[];
}

export interface SpreadsheetData {
  spreadsheetId: string;
  title: string;
  sheets: SheetData[];
}

export class SheetModel {
  readonly spreadsheets = new Map<string, SpreadsheetData>();
  private nextSheetId = 1000;

  /** Adds a spreadsheet with sheets given as rows of cells (the first row is the header). */
  addSpreadsheet(
    spreadsheetId: string,
    sheets: { title: string; sheetId?: number; rows: CellValue[][] }[],
    title = 'Archive',
  ): SpreadsheetData {
    const ss: SpreadsheetData = {
      spreadsheetId,
      title,
      sheets: sheets.map((s, i) => ({
        sheetId: s.sheetId ?? (i === 0 ? 0 : this.nextSheetId++),
        title: s.title,
        values: s.rows.map((r) => [...r]),
        formulas: new Map(),
        frozenRows: 0,
        conditionalFormats: [],
      })),
    };
    this.spreadsheets.set(spreadsheetId, ss);
    return ss;
  }

  spreadsheet(spreadsheetId: string): SpreadsheetData | undefined {
    return this.spreadsheets.get(spreadsheetId);
  }

  /** A sheet by title (exact) or by sheetId. */
  sheet(spreadsheetId: string, titleOrId: string | number): SheetData | undefined {
    const ss = this.spreadsheets.get(spreadsheetId);
    return ss?.sheets.find((s) => (typeof titleOrId === 'number' ? s.sheetId === titleOrId : s.title === titleOrId));
  }

  /** Adds a sheet (tab) and returns it. */
  addSheet(spreadsheetId: string, title: string, rows: CellValue[][] = []): SheetData {
    const ss = this.spreadsheets.get(spreadsheetId);
    if (!ss) throw new Error(`no spreadsheet ${spreadsheetId}`);
    const sh: SheetData = {
      sheetId: this.nextSheetId++,
      title,
      values: rows.map((r) => [...r]),
      formulas: new Map(),
      frozenRows: 0,
      conditionalFormats: [],
    };
    ss.sheets.push(sh);
    return sh;
  }

  /** Number of rows holding any data (last non-empty row, 1-based count). */
  lastRow(sh: SheetData): number {
    for (let r = sh.values.length - 1; r >= 0; r--) if ((sh.values[r] ?? []).some((c) => c !== '' && c !== undefined)) return r + 1;
    return 0;
  }

  /** Number of columns holding any data (last non-empty column, 1-based count). */
  lastColumn(sh: SheetData): number {
    let max = 0;
    for (const row of sh.values)
      for (let c = row.length - 1; c >= max; c--)
        if (row[c] !== '' && row[c] !== undefined) {
          max = c + 1;
          break;
        }
    return max;
  }

  getCell(sh: SheetData, r: number, c: number): CellValue {
    return sh.values[r]?.[c] ?? '';
  }

  /** Sets one cell; a formula (when given) is kept beside its computed/display value. */
  setCell(sh: SheetData, r: number, c: number, v: CellValue, formula?: string): void {
    while (sh.values.length <= r) sh.values.push([]);
    const row = sh.values[r]!;
    while (row.length < c) row.push('');
    row[c] = v;
    const k = `${r},${c}`;
    if (formula) sh.formulas.set(k, formula);
    else sh.formulas.delete(k);
  }

  /** A rectangle of values, padded with '' to exactly rows × cols. */
  getRange(sh: SheetData, r0: number, c0: number, rows: number, cols: number): CellValue[][] {
    const out: CellValue[][] = [];
    for (let r = 0; r < rows; r++) {
      const line: CellValue[] = [];
      for (let c = 0; c < cols; c++) line.push(this.getCell(sh, r0 + r, c0 + c));
      out.push(line);
    }
    return out;
  }

  /** Writes a rectangle of values (no formulas). */
  setRange(sh: SheetData, r0: number, c0: number, values: CellValue[][]): void {
    values.forEach((row, r) => row.forEach((v, c) => this.setCell(sh, r0 + r, c0 + c, v)));
  }

  /** Inserts empty rows before 0-based row `at` (formulas shift with their cells). */
  insertRows(sh: SheetData, at: number, count: number): void {
    sh.values.splice(at, 0, ...Array.from({ length: count }, () => [] as CellValue[]));
    const moved = new Map<string, string>();
    for (const [k, f] of sh.formulas) {
      const [r, c] = k.split(',').map(Number) as [number, number];
      moved.set(`${r >= at ? r + count : r},${c}`, f);
    }
    sh.formulas = moved;
  }

  /** Deletes rows starting at 0-based row `at`. */
  deleteRows(sh: SheetData, at: number, count: number): void {
    sh.values.splice(at, count);
    const moved = new Map<string, string>();
    for (const [k, f] of sh.formulas) {
      const [r, c] = k.split(',').map(Number) as [number, number];
      if (r >= at && r < at + count) continue;
      moved.set(`${r >= at + count ? r - count : r},${c}`, f);
    }
    sh.formulas = moved;
  }

  /** The sheet as rows of strings (header first), for assertions. */
  rowsOf(sh: SheetData): string[][] {
    const rows = this.lastRow(sh);
    const cols = this.lastColumn(sh);
    return this.getRange(sh, 0, 0, rows, cols).map((r) => r.map((v) => String(v)));
  }
}
