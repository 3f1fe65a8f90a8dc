/** "Add tracking columns" through the built bundle: none, some, all, 30+ columns, a header typo. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { SheetModel } from '../support/sheetModel.js';
import { ensureAddonBuilt } from '../support/appsScript/ensureBuilt.js';
import { peopleRows, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import type { StoredRule } from '../support/appsScript/spreadsheet.js';

const open: LoadedAddon[] = [];
beforeAll(async () => void (await ensureAddonBuilt()));
afterAll(async () => void (await Promise.all(open.map((a) => a.close()))));

type Result = { ok: boolean; message: string; details: string[] };

function setup(rows: (string | number | boolean)[][]) {
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows }]);
  const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, now: () => Date.UTC(2026, 10, 21, 9, 15, 2) });
  open.push(addon);
  return { model, addon, sheet: model.sheet(SPREADSHEET_ID, 'People')! };
}

describe('tracking columns', () => {
  it('none present: appends all 8 in order, freezes the header, colours both status columns, backs up first; idempotent', () => {
    const { model, addon, sheet } = setup(peopleRows({ rows: 3 }));
    const original = model.rowsOf(sheet);
    const r = addon.call('addTrackingColumns') as Result;
    expect(r.ok).toBe(true);
    expect(r.message).toBe('Added 8 tracking columns (G–N). A copy of the tab was saved as "People backup 2026-11-21".');
    expect(model.rowsOf(sheet)[0]).toEqual([...original[0]!, ...TRACKING_COLUMNS]);
    expect(sheet.frozenRows).toBe(1);
    const backup = model.sheet(SPREADSHEET_ID, 'People backup 2026-11-21')!;
    expect(model.rowsOf(backup)).toEqual(original);
    const rules = sheet.conditionalFormats as StoredRule[];
    expect(rules.map((x) => x.condition.values[0])).toEqual(['completed', 'failed', 'queued', 'downloading']);
    for (const rule of rules) expect(rule.ranges.map((x) => x.column)).toEqual([7, 10]); // G and J
    expect(rules[0]!.format.background).toBe('#b7e1cd');
    expect(rules[1]!.format.background).toBe('#f4c7c3');

    const again = addon.call('addTrackingColumns') as Result;
    expect(again.message).toBe('All 8 tracking columns are already there.');
    expect(model.rowsOf(sheet)[0]).toHaveLength(14);
    expect(model.spreadsheet(SPREADSHEET_ID)!.sheets).toHaveLength(2);
    expect(sheet.conditionalFormats).toHaveLength(4);
  });

  it('some present: appends only the missing ones, in design order, after the last used column', () => {
    const { model, addon, sheet } = setup(peopleRows({ rows: 2, tracking: ['drive_status', 'youtube_status'] }));
    const r = addon.call('addTrackingColumns') as Result;
    expect(r.details).toEqual([
      'I: youtube_files',
      'J: youtube_media_id',
      'K: drive_files',
      'L: drive_media_id',
      'M: last_download_attempt',
      'N: download_errors',
    ]);
    expect(model.rowsOf(sheet)[0]!.slice(6)).toEqual([
      'drive_status',
      'youtube_status',
      'youtube_files',
      'youtube_media_id',
      'drive_files',
      'drive_media_id',
      'last_download_attempt',
      'download_errors',
    ]);
    const rules = sheet.conditionalFormats as StoredRule[];
    expect(rules[0]!.ranges.map((x) => x.column)).toEqual([8, 7]);
  });

  it('all present: no schema change and no backup; other conditional rules are kept', () => {
    const { model, addon, sheet } = setup(peopleRows({ rows: 2, tracking: true }));
    sheet.conditionalFormats.push({
      condition: { type: 'TEXT_EQUAL_TO', values: ['x'] },
      format: { background: '#000000' },
      ranges: [{ row: 1, column: 1, numRows: 10, numColumns: 1 }],
    } satisfies StoredRule);
    const r = addon.call('addTrackingColumns') as Result;
    expect(r).toMatchObject({ ok: true, message: 'All 8 tracking columns are already there.' });
    expect(model.spreadsheet(SPREADSHEET_ID)!.sheets).toHaveLength(1);
    expect(sheet.conditionalFormats).toHaveLength(5);
    expect((sheet.conditionalFormats[0] as StoredRule).condition.values).toEqual(['x']);
  });

  it('30+ columns: letters go past Z (AG…AN) and the grid grows beyond 26 columns', () => {
    const { model, addon, sheet } = setup(peopleRows({ rows: 2, padColumns: 26 }));
    const r = addon.call('addTrackingColumns') as Result;
    expect(r.message).toMatch(/^Added 8 tracking columns \(AG–AN\)/);
    expect(r.details[0]).toBe('AG: youtube_status');
    expect(r.details[7]).toBe('AN: download_errors');
    expect(model.rowsOf(sheet)[0]!.slice(32)).toEqual([...TRACKING_COLUMNS]);
    expect(addon.counts.get('Sheet.insertColumnsAfter')).toBe(1);
  });

  it('header typo: reported with its column, the real column is appended, nothing is renamed', () => {
    const rows = peopleRows({ rows: 2, tracking: true });
    rows[0]![6] = 'youtube_staus';
    rows[0]![9] = ' Drive_Status ';
    const { model, addon, sheet } = setup(rows);
    const r = addon.call('addTrackingColumns') as Result;
    expect(r.ok).toBe(false);
    expect(r.details).toContain(
      'Header "youtube_staus" (column G) looks like "youtube_status" but does not match it; rename it to "youtube_status" or delete it.',
    );
    expect(model.rowsOf(sheet)[0]![9]).toBe(' Drive_Status '); // matched case-insensitively, trimmed: not a typo
    expect(model.rowsOf(sheet)[0]!.slice(14)).toEqual(['youtube_status']);
    const v = addon.call('validateSheet') as Result;
    expect(v.details.some((d) => d.startsWith('Row 1: Header "youtube_staus" (column G)'))).toBe(true);
  });
});

describe('status colours', () => {
  it('cover the whole status columns with open-ended A1 ranges, also rows the grid gains later', () => {
    const { addon, sheet } = setup(peopleRows({ rows: 3 }));
    addon.call('addTrackingColumns');
    const rules = sheet.conditionalFormats as StoredRule[];
    for (const rule of rules) for (const r of rule.ranges) expect(r).toMatchObject({ row: 2, numColumns: 1, openEnded: true });
    addon.evaluate(`SpreadsheetApp.getActiveSheet().insertRowsAfter(1000, 500)`);
    const covered = addon.evaluate(
      `SpreadsheetApp.getActiveSheet().getConditionalFormatRules()[0].getRanges().map(function (r) { return r.getLastRow(); })`,
    ) as number[];
    expect([...covered]).toEqual([1500, 1500]);
  });

  it('a header-only sheet (one grid row) works: columns added, rules set, status readable', () => {
    const { model, addon, sheet } = setup([peopleRows({ rows: 0 })[0]!]);
    addon.state.grid.set(sheet, { rows: 1, columns: 6 });
    const r = addon.call('addTrackingColumns') as Result;
    expect(r.ok, r.message).toBe(true);
    expect(model.rowsOf(sheet)[0]).toHaveLength(14);
    expect(sheet.conditionalFormats).toHaveLength(4);
    expect(addon.state.grid.get(sheet)!.rows).toBe(2);
    const s = addon.call('getSidebarState') as { status: { rowCount: number; issuesTotal: number }; statusError: string };
    expect(s.statusError).toBe('');
    expect(s.status).toMatchObject({ rowCount: 0, issuesTotal: 0 });
    const live = addon.call('pollStatus', { sheetName: 'People', sources: ['youtube', 'drive'], leaseHours: 2 }) as {
      active: boolean;
      counts: Record<string, Record<string, number>>;
    };
    expect(live.active).toBe(false);
    expect(live.counts['youtube']!['queued']).toBe(0);
  });

  it("a user's own rule on the status column survives; only this add-on's rules are replaced", () => {
    const { addon, sheet } = setup(peopleRows({ rows: 2, tracking: true }));
    addon.call('addTrackingColumns');
    const mine: StoredRule = {
      condition: { type: 'TEXT_EQUAL_TO', values: ['failed'] },
      format: { background: '#000000', fontColor: '#ffffff', bold: true },
      ranges: [{ row: 2, column: 7, numRows: 999, numColumns: 1 }],
    };
    const other: StoredRule = {
      condition: { type: 'TEXT_CONTAINS', values: ['rate_limit'] },
      format: { background: '#ffff00' },
      ranges: [{ row: 2, column: 7, numRows: 10, numColumns: 1 }],
    };
    sheet.conditionalFormats.unshift(mine, other);
    addon.call('addTrackingColumns');
    addon.call('addTrackingColumns');
    const rules = sheet.conditionalFormats as StoredRule[];
    expect(rules).toHaveLength(6);
    expect(rules[0]).toEqual(mine);
    expect(rules[1]).toEqual(other);
    expect(rules.slice(2).map((x) => x.condition.values[0])).toEqual(['completed', 'failed', 'queued', 'downloading']);
  });
});
