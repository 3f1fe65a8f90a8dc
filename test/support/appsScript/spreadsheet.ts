/**
 * SpreadsheetApp, Spreadsheet, Sheet and Range over the shared SheetModel, following
 * https://developers.google.com/apps-script/reference/spreadsheet:
 * - `Range.getValues()` returns a rectangular 2-D array the size of the range: empty cells '',
 *   numbers as numbers, booleans as booleans, date cells as Date objects.
 * - `Range.setValues()` requires exactly the range's dimensions and interprets strings as if
 *   typed by the user (USER_ENTERED): a leading `'` forces text (the apostrophe is not stored),
 *   a leading `=` makes a formula, numeric strings become numbers, TRUE/FALSE booleans and
 *   `yyyy-mm-dd[ hh:mm[:ss]]` dates; with number format '@' (plain text) strings stay text.
 * - `getRange` outside the grid (default 1000 rows × 26 columns, grown by inserts) throws.
 * - Dates are stored as serial numbers (days since 1899-12-30, spreadsheet time zone taken as UTC).
 */
import { columnIndex, columnLetter } from '../../../shared/columns.js';
import type { CellValue, SheetData } from '../sheetModel.js';
import { counted } from './counter.js';
import { AUTH_SCOPE, requireAuth, requireScope, type HarnessEnv } from './env.js';

const SERIAL_EPOCH = Date.UTC(1899, 11, 30);
const DAY = 86_400_000;

function gridOf(env: HarnessEnv, sh: SheetData): { rows: number; columns: number } {
  let g = env.state.grid.get(sh);
  if (!g) env.state.grid.set(sh, (g = { rows: 1000, columns: 26 }));
  g.rows = Math.max(g.rows, sh.values.length);
  g.columns = Math.max(g.columns, env.state.model.lastColumn(sh));
  return g;
}

function dateSet(env: HarnessEnv, sh: SheetData): Set<string> {
  let s = env.state.dateCells.get(sh);
  if (!s) env.state.dateCells.set(sh, (s = new Set()));
  return s;
}

/** Parses a typed string the way the Sheets editor does (subset; see the module doc). */
export function parseUserEntered(s: string): { value: CellValue; formula?: string; date?: boolean } {
  if (s.startsWith("'")) return { value: s.slice(1) };
  if (s.startsWith('=') && s.length > 1) return { value: '', formula: s };
  const t = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return { value: Number(t) };
  if (/^(true|false)$/i.test(t)) return { value: t.toLowerCase() === 'true' };
  const d = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (d) {
    const ms = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +(d[4] ?? 0), +(d[5] ?? 0), +(d[6] ?? 0));
    return { value: (ms - SERIAL_EPOCH) / DAY, date: true };
  }
  return { value: s };
}

function isDate(v: unknown): v is Date {
  return Object.prototype.toString.call(v) === '[object Date]';
}

export class FakeRange {
  constructor(
    private readonly env: HarnessEnv,
    readonly sheetData: SheetData,
    /** 1-based */
    private readonly row: number,
    private readonly column: number,
    private readonly numRows: number,
    private readonly numColumns: number,
  ) {}
  /** set by Sheet.getRange('G2:G'): the range runs to the end of the grid, whatever its size */
  openEnded = false;

  getRow(): number {
    return this.row;
  }
  getColumn(): number {
    return this.column;
  }
  getLastRow(): number {
    return this.row + this.numRows - 1;
  }
  getLastColumn(): number {
    return this.column + this.numColumns - 1;
  }
  getNumRows(): number {
    return this.numRows;
  }
  getNumColumns(): number {
    return this.numColumns;
  }
  getSheet(): FakeSheet {
    return wrapSheet(this.env, this.sheetData);
  }
  getA1Notation(): string {
    const a = `${columnLetter(this.column - 1)}${this.row}`;
    return this.numRows === 1 && this.numColumns === 1 ? a : `${a}:${columnLetter(this.getLastColumn() - 1)}${this.getLastRow()}`;
  }

  /** 2-D array the size of the range; see the module doc for types. */
  getValues(): unknown[][] {
    const { model } = this.env.state;
    const vals = model.getRange(this.sheetData, this.row - 1, this.column - 1, this.numRows, this.numColumns) as unknown[][];
    const dates = this.env.state.dateCells.get(this.sheetData);
    if (dates?.size) {
      vals.forEach((line, r) =>
        line.forEach((v, c) => {
          if (typeof v === 'number' && dates.has(`${this.row - 1 + r},${this.column - 1 + c}`))
            line[c] = this.env.makeDate(SERIAL_EPOCH + v * DAY);
        }),
      );
    }
    return vals;
  }
  getValue(): unknown {
    return this.getValues()[0]![0];
  }
  getDisplayValues(): string[][] {
    return this.getValues().map((r) => r.map((v) => (isDate(v) ? v.toISOString() : String(v))));
  }

  /** @throws Error when `values` is not exactly numRows × numColumns (Apps Script's message). */
  setValues(values: unknown[][]): FakeRange {
    if (!Array.isArray(values) || values.length !== this.numRows)
      throw new Error(
        `The number of rows in the data does not match the number of rows in the range. The data has ${values?.length ?? 0} but the range has ${this.numRows}.`,
      );
    const { model } = this.env.state;
    const formats = this.env.state.numberFormats.get(this.sheetData);
    const dates = dateSet(this.env, this.sheetData);
    values.forEach((line, r) => {
      if (!Array.isArray(line) || line.length !== this.numColumns)
        throw new Error(
          `The number of columns in the data does not match the number of columns in the range. The data has ${line?.length ?? 0} but the range has ${this.numColumns}.`,
        );
      line.forEach((v, c) => {
        const r0 = this.row - 1 + r;
        const c0 = this.column - 1 + c;
        const key = `${r0},${c0}`;
        dates.delete(key);
        if (v === null || v === undefined || v === '') return model.setCell(this.sheetData, r0, c0, '');
        if (isDate(v)) {
          dates.add(key);
          return model.setCell(this.sheetData, r0, c0, (v.getTime() - SERIAL_EPOCH) / DAY);
        }
        if (typeof v === 'number' || typeof v === 'boolean') return model.setCell(this.sheetData, r0, c0, v);
        const s = String(v);
        if (formats?.get(c0) === '@') return model.setCell(this.sheetData, r0, c0, s);
        const p = parseUserEntered(s);
        if (p.date) dates.add(key);
        model.setCell(this.sheetData, r0, c0, p.value, p.formula);
      });
    });
    return this;
  }
  setValue(v: unknown): FakeRange {
    return this.setValues(Array.from({ length: this.numRows }, () => Array.from({ length: this.numColumns }, () => v)));
  }
  clearContent(): FakeRange {
    return this.setValue('');
  }

  /** Records the format per column (the model has no formats); '@' makes setValues store text. */
  setNumberFormat(format: string): FakeRange {
    let m = this.env.state.numberFormats.get(this.sheetData);
    if (!m) this.env.state.numberFormats.set(this.sheetData, (m = new Map()));
    for (let c = 0; c < this.numColumns; c++) m.set(this.column - 1 + c, format);
    return this;
  }
  getNumberFormat(): string {
    return this.env.state.numberFormats.get(this.sheetData)?.get(this.column - 1) ?? 'General';
  }
}

/**
 * RangeList (https://developers.google.com/apps-script/reference/spreadsheet/range-list):
 * setValue(value) sets every range's cells to the value, interpreted like Range.setValue
 * (so a leading apostrophe keeps text); getRanges returns the ranges in the given order.
 */
export class FakeRangeList {
  constructor(private readonly ranges: FakeRange[]) {}
  getRanges(): FakeRange[] {
    return [...this.ranges];
  }
  setValue(value: unknown): FakeRangeList {
    for (const r of this.ranges) r.setValue(value);
    return this;
  }
  clearContent(): FakeRangeList {
    for (const r of this.ranges) r.clearContent();
    return this;
  }
}

/** A conditional format rule as stored in `SheetData.conditionalFormats`. */
export interface StoredRule {
  condition: { type: string; values: string[] };
  format: { background?: string; fontColor?: string; bold?: boolean };
  /** openEnded: to the last grid row, however many rows the grid has later */
  ranges: { row: number; column: number; numRows: number; numColumns: number; openEnded?: boolean }[];
}

export class FakeConditionalFormatRule {
  constructor(
    private readonly env: HarnessEnv,
    private readonly sheetData: SheetData | null,
    readonly stored: StoredRule,
  ) {}
  getRanges(): FakeRange[] {
    if (!this.sheetData) return [];
    return this.stored.ranges.map((r) => {
      const rows = r.openEnded ? gridOf(this.env, this.sheetData!).rows - r.row + 1 : r.numRows;
      const range = wrapRange(this.env, this.sheetData!, r.row, r.column, rows, r.numColumns);
      range.openEnded = !!r.openEnded;
      return range;
    });
  }
  getBooleanCondition(): {
    getCriteriaType(): string;
    getCriteriaValues(): string[];
    getBackground(): string | null;
    getFontColor(): string | null;
  } {
    const s = this.stored;
    return {
      getCriteriaType: () => s.condition.type,
      getCriteriaValues: () => [...s.condition.values],
      getBackground: () => s.format.background ?? null,
      getFontColor: () => s.format.fontColor ?? null,
    };
  }
}

export class FakeConditionalFormatRuleBuilder {
  private rule: StoredRule = { condition: { type: 'NONE', values: [] }, format: {}, ranges: [] };
  private sheetData: SheetData | null = null;
  constructor(private readonly env: HarnessEnv) {}
  whenTextEqualTo(text: string) {
    this.rule.condition = { type: 'TEXT_EQUAL_TO', values: [text] };
    return this.self();
  }
  whenTextContains(text: string) {
    this.rule.condition = { type: 'TEXT_CONTAINS', values: [text] };
    return this.self();
  }
  whenFormulaSatisfied(formula: string) {
    this.rule.condition = { type: 'CUSTOM_FORMULA', values: [formula] };
    return this.self();
  }
  setBackground(color: string) {
    this.rule.format.background = color;
    return this.self();
  }
  setFontColor(color: string) {
    this.rule.format.fontColor = color;
    return this.self();
  }
  setBold(bold: boolean) {
    this.rule.format.bold = bold;
    return this.self();
  }
  setRanges(ranges: FakeRange[]) {
    this.rule.ranges = ranges.map((r) => ({
      row: r.getRow(),
      column: r.getColumn(),
      numRows: r.getNumRows(),
      numColumns: r.getNumColumns(),
      ...(r.openEnded ? { openEnded: true } : {}),
    }));
    this.sheetData = ranges[0]?.sheetData ?? null;
    return this.self();
  }
  build(): FakeConditionalFormatRule {
    return counted(
      new FakeConditionalFormatRule(this.env, this.sheetData, structuredClone(this.rule)),
      'ConditionalFormatRule',
      this.env.counter,
    );
  }
  private self() {
    return this as FakeConditionalFormatRuleBuilder;
  }
}

export class FakeSheet {
  constructor(
    private readonly env: HarnessEnv,
    readonly data: SheetData,
  ) {}
  private get model() {
    return this.env.state.model;
  }

  getName(): string {
    return this.data.title;
  }
  setName(name: string): FakeSheet {
    const ss = this.model.spreadsheet(this.env.spreadsheetId)!;
    if (ss.sheets.some((s) => s !== this.data && s.title === name))
      throw new Error(`A sheet with the name "${name}" already exists. Please enter another name.`);
    this.data.title = name;
    return wrapSheet(this.env, this.data);
  }
  getSheetId(): number {
    return this.data.sheetId;
  }
  getParent(): FakeSpreadsheet {
    return wrapSpreadsheet(this.env);
  }
  getLastRow(): number {
    return this.model.lastRow(this.data);
  }
  getLastColumn(): number {
    return this.model.lastColumn(this.data);
  }
  getMaxRows(): number {
    return gridOf(this.env, this.data).rows;
  }
  getMaxColumns(): number {
    return gridOf(this.env, this.data).columns;
  }
  insertColumnsAfter(afterPosition: number, howMany: number): FakeSheet {
    if (afterPosition !== this.getMaxColumns()) throw new Error('stand-in: only appending columns at the end is modelled');
    gridOf(this.env, this.data).columns += howMany;
    return wrapSheet(this.env, this.data);
  }
  insertRowsAfter(afterPosition: number, howMany: number): FakeSheet {
    if (afterPosition !== this.getMaxRows()) throw new Error('stand-in: only appending rows at the end is modelled');
    gridOf(this.env, this.data).rows += howMany;
    return wrapSheet(this.env, this.data);
  }

  /**
   * A1 (`B2`, `A1:C10`, open-ended `G2:G` to the last grid row) or (row, column, numRows = 1,
   * numColumns = 1), 1-based. An open-ended range remembers it is open-ended, as Sheets' GridRange
   * without endRowIndex does (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/other#GridRange),
   * so a conditional format rule set on it covers rows added later.
   */
  getRange(a: number | string, column?: number, numRows = 1, numColumns = 1): FakeRange {
    if (typeof a === 'string') {
      const open = /^([A-Z]+)(\d+):([A-Z]+)$/i.exec(a.trim());
      if (open && open[1]!.toUpperCase() === open[3]!.toUpperCase()) {
        const c = columnIndex(open[1]!) + 1;
        const r = Number(open[2]);
        const g = gridOf(this.env, this.data);
        if (r > g.rows) throw new Error('The coordinates of the range are outside the dimensions of the sheet.');
        const range = this.getRange(r, c, g.rows - r + 1, 1);
        range.openEnded = true;
        return range;
      }
      const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/i.exec(a.trim());
      if (!m) throw new Error(`Range not found: ${a}`);
      const c1 = columnIndex(m[1]!) + 1;
      const r1 = Number(m[2]);
      const c2 = m[3] ? columnIndex(m[3]) + 1 : c1;
      const r2 = m[4] ? Number(m[4]) : r1;
      return this.getRange(Math.min(r1, r2), Math.min(c1, c2), Math.abs(r2 - r1) + 1, Math.abs(c2 - c1) + 1);
    }
    const row = a;
    if (![row, column, numRows, numColumns].every((n) => Number.isInteger(n)) || row < 1 || column! < 1)
      throw new Error(`The coordinates of the range are invalid: ${row}, ${column}, ${numRows}, ${numColumns}`);
    if (numRows < 1) throw new Error('The number of rows in the range must be at least 1.');
    if (numColumns < 1) throw new Error('The number of columns in the range must be at least 1.');
    const g = gridOf(this.env, this.data);
    if (row + numRows - 1 > g.rows || column! + numColumns - 1 > g.columns)
      throw new Error('The coordinates of the range are outside the dimensions of the sheet.');
    return wrapRange(this.env, this.data, row, column!, numRows, numColumns);
  }
  /**
   * RangeList (https://developers.google.com/apps-script/reference/spreadsheet/sheet#getRangeList(String)):
   * the ranges of a list of A1 notations on this sheet; an invalid or out-of-grid one throws.
   */
  getRangeList(a1Notations: string[]): FakeRangeList {
    if (!Array.isArray(a1Notations) || !a1Notations.length)
      throw new Error("The parameters (number[]) don't match the method signature for SpreadsheetApp.Sheet.getRangeList.");
    return counted(new FakeRangeList(a1Notations.map((a) => this.getRange(a))), 'RangeList', this.env.counter);
  }
  /** A1 to the last row and column with data (A1 alone for an empty sheet). */
  getDataRange(): FakeRange {
    return wrapRange(this.env, this.data, 1, 1, Math.max(1, this.getLastRow()), Math.max(1, this.getLastColumn()));
  }
  getFrozenRows(): number {
    return this.data.frozenRows;
  }
  setFrozenRows(rows: number): void {
    this.data.frozenRows = rows;
  }
  getConditionalFormatRules(): FakeConditionalFormatRule[] {
    return (this.data.conditionalFormats as StoredRule[]).map((r) =>
      counted(new FakeConditionalFormatRule(this.env, this.data, r), 'ConditionalFormatRule', this.env.counter),
    );
  }
  setConditionalFormatRules(rules: FakeConditionalFormatRule[]): void {
    this.data.conditionalFormats = rules.map((r) => structuredClone(r.stored));
  }
  /** Copies the tab (values, formulas, frozen rows, rules, dates) into `spreadsheet` as "Copy of <name>". */
  copyTo(spreadsheet: FakeSpreadsheet): FakeSheet {
    const id = spreadsheet.getId();
    const ss = this.model.spreadsheet(id)!;
    let title = `Copy of ${this.data.title}`;
    for (let n = 2; ss.sheets.some((s) => s.title === title); n++) title = `Copy ${n} of ${this.data.title}`;
    const copy = this.model.addSheet(id, title, this.data.values as CellValue[][]);
    copy.formulas = new Map(this.data.formulas);
    copy.frozenRows = this.data.frozenRows;
    copy.conditionalFormats = structuredClone(this.data.conditionalFormats);
    const dates = this.env.state.dateCells.get(this.data);
    if (dates) this.env.state.dateCells.set(copy, new Set(dates));
    return wrapSheet(this.env, copy);
  }
  activate(): FakeSheet {
    this.env.activeSheetName = this.data.title;
    return wrapSheet(this.env, this.data);
  }
}

export class FakeSpreadsheet {
  constructor(private readonly env: HarnessEnv) {}
  private get data() {
    const ss = this.env.state.model.spreadsheet(this.env.spreadsheetId);
    if (!ss) throw new Error(`no spreadsheet ${this.env.spreadsheetId} in the model`);
    return ss;
  }
  getId(): string {
    return this.data.spreadsheetId;
  }
  getName(): string {
    return this.data.title;
  }
  getSpreadsheetTimeZone(): string {
    return this.env.timeZone;
  }
  getSheets(): FakeSheet[] {
    return this.data.sheets.map((s) => wrapSheet(this.env, s));
  }
  getSheetByName(name: string): FakeSheet | null {
    const s = this.data.sheets.find((x) => x.title === name);
    return s ? wrapSheet(this.env, s) : null;
  }
  getActiveSheet(): FakeSheet {
    const s = this.data.sheets.find((x) => x.title === this.env.activeSheetName) ?? this.data.sheets[0];
    if (!s) throw new Error('the spreadsheet has no sheets');
    return wrapSheet(this.env, s);
  }
  getActiveRange(): FakeRange | null {
    const sel = this.env.selection;
    if (!sel) return null;
    const s = this.data.sheets.find((x) => x.title === sel.sheetName);
    return s ? wrapRange(this.env, s, sel.row, sel.column, sel.numRows, sel.numColumns) : null;
  }
  insertSheet(name?: string): FakeSheet {
    const title = name ?? `Sheet${this.data.sheets.length + 1}`;
    if (this.data.sheets.some((s) => s.title === title))
      throw new Error(`A sheet with the name "${title}" already exists. Please enter another name.`);
    return wrapSheet(this.env, this.env.state.model.addSheet(this.data.spreadsheetId, title));
  }
}

export function wrapRange(env: HarnessEnv, sh: SheetData, row: number, column: number, numRows: number, numColumns: number): FakeRange {
  return counted(new FakeRange(env, sh, row, column, numRows, numColumns), 'Range', env.counter);
}
export function wrapSheet(env: HarnessEnv, sh: SheetData): FakeSheet {
  return counted(new FakeSheet(env, sh), 'Sheet', env.counter);
}
export function wrapSpreadsheet(env: HarnessEnv): FakeSpreadsheet {
  return counted(new FakeSpreadsheet(env), 'Spreadsheet', env.counter);
}

/** The Ui of https://developers.google.com/apps-script/reference/base/ui: menus, alerts and sidebars are recorded in env.ui. */
export function makeUi(env: HarnessEnv) {
  const menu = (title: string) => {
    const rec: HarnessEnv['ui']['menus'][number] = { title, items: [] };
    const m = {
      addItem(caption: string, functionName: string) {
        rec.items.push({ caption, functionName });
        return m;
      },
      addSeparator() {
        rec.items.push({ separator: true });
        return m;
      },
      addSubMenu() {
        return m;
      },
      addToUi() {
        env.ui.menus.push(rec);
      },
    };
    return counted(m, 'Menu', env.counter);
  };
  const ButtonSet = { OK: 'OK', OK_CANCEL: 'OK_CANCEL', YES_NO: 'YES_NO', YES_NO_CANCEL: 'YES_NO_CANCEL' };
  const Button = { OK: 'OK', CANCEL: 'CANCEL', YES: 'YES', NO: 'NO', CLOSE: 'CLOSE' };
  const ui = {
    ButtonSet,
    Button,
    createAddonMenu: () => menu('Sheet Archiver'),
    createMenu: (title: string) => menu(title),
    alert(a: string, b?: string) {
      env.ui.alerts.push(b === undefined ? { title: '', prompt: a } : { title: a, prompt: b });
      return Button.OK;
    },
    showSidebar(html: { getTitle(): string; getContent(): string }) {
      requireAuth(env, 'Ui.showSidebar');
      env.ui.sidebars.push({ title: html.getTitle(), content: html.getContent() });
    },
  };
  return counted(ui, 'Ui', env.counter);
}

/**
 * SpreadsheetApp (https://developers.google.com/apps-script/reference/spreadsheet/spreadsheet-app):
 * the active spreadsheet needs spreadsheets.currentonly (or spreadsheets) and is null in an
 * execution without a containing document (env.documentContext false); openById needs the full
 * spreadsheets scope ("Scripts that use this method require authorization with …/auth/spreadsheets",
 * https://developers.google.com/apps-script/reference/spreadsheet/spreadsheet-app#openById(String))
 * and, here, knows only the harness's spreadsheet.
 */
export function makeSpreadsheetApp(env: HarnessEnv) {
  const active = (what: string) => {
    requireAuth(env, what);
    requireScope(env, what, [AUTH_SCOPE.currentOnly, AUTH_SCOPE.spreadsheets]);
    return env.documentContext ? wrapSpreadsheet(env) : null;
  };
  const app = {
    getActiveSpreadsheet() {
      return active('SpreadsheetApp.getActiveSpreadsheet');
    },
    getActive() {
      return active('SpreadsheetApp.getActive');
    },
    getActiveSheet() {
      return active('SpreadsheetApp.getActiveSheet')?.getActiveSheet() ?? null;
    },
    getActiveRange() {
      return active('SpreadsheetApp.getActiveRange')?.getActiveRange() ?? null;
    },
    getUi() {
      if (!env.documentContext) throw new Error('Cannot call SpreadsheetApp.getUi() from this context.');
      return makeUi(env);
    },
    newConditionalFormatRule() {
      return counted(new FakeConditionalFormatRuleBuilder(env), 'ConditionalFormatRuleBuilder', env.counter);
    },
    BooleanCriteria: { TEXT_EQUAL_TO: 'TEXT_EQUAL_TO', TEXT_CONTAINS: 'TEXT_CONTAINS', CUSTOM_FORMULA: 'CUSTOM_FORMULA' },
    flush() {},
    openById(id: string) {
      requireAuth(env, 'SpreadsheetApp.openById');
      requireScope(env, 'SpreadsheetApp.openById', [AUTH_SCOPE.spreadsheets]);
      if (String(id) !== env.spreadsheetId)
        throw new Error('Unexpected error while getting the method or property openById on object SpreadsheetApp.');
      return wrapSpreadsheet(env);
    },
  };
  return counted(app, 'SpreadsheetApp', env.counter);
}
