/**
 * State behind the Apps Script stand-ins that outlives one vm: properties, triggers, locks and
 * per-sheet formatting the SheetModel does not hold. Share one state between several
 * `loadAddon` calls to model several users (or several executions) on one document.
 */
import type { SheetData, SheetModel } from '../sheetModel.js';

export interface FakeTriggerRecord {
  id: string;
  handler: string;
  /** the user who created it (triggers run as their creator) */
  user: string;
  /** spreadsheet the trigger belongs to (add-on triggers are per user per document) */
  sourceId: string;
  eventType: 'CLOCK';
  everyHours: number;
}

export interface AppsScriptState {
  model: SheetModel;
  /** DocumentProperties by spreadsheet id */
  documentProperties: Map<string, Map<string, string>>;
  /** UserProperties by user email (per script, across documents, as in Apps Script) */
  userProperties: Map<string, Map<string, string>>;
  scriptProperties: Map<string, string>;
  triggers: FakeTriggerRecord[];
  /** document locks held, by spreadsheet id (set one to simulate another execution holding it) */
  documentLocks: Set<string>;
  /** number formats per sheet and 0-based column (e.g. '@' plain text) */
  numberFormats: WeakMap<SheetData, Map<number, string>>;
  /** grid size per sheet; defaults to max(1000 rows, 26 columns, data extent) like a new Sheets tab */
  grid: WeakMap<SheetData, { rows: number; columns: number }>;
  /** cells holding dates (value is a serial number in the model), "r,c" 0-based */
  dateCells: WeakMap<SheetData, Set<string>>;
  nextTriggerId: number;
}

export function createAppsScriptState(model: SheetModel): AppsScriptState {
  return {
    model,
    documentProperties: new Map(),
    userProperties: new Map(),
    scriptProperties: new Map(),
    triggers: [],
    documentLocks: new Set(),
    numberFormats: new WeakMap(),
    grid: new WeakMap(),
    dateCells: new WeakMap(),
    nextTriggerId: 1,
  };
}

/** A store in a Map-of-Maps, created on first use. */
export function storeOf<K>(m: Map<K, Map<string, string>>, key: K): Map<string, string> {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Map()));
  return s;
}
