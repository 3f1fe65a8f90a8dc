/** A StatusUpdate for tests of the outboxes and the reporter: row `rowId` of sheet `S` (id 0) in spreadsheet `s`. */
import type { StatusUpdate } from '../../worker/src/sheets/types.js';

/** A queued youtube update for `rowId` (type `T`, row hint 2), with `extra` over it. */
export function upd(rowId: string, extra: Partial<StatusUpdate> = {}): StatusUpdate {
  return {
    spreadsheetId: 's',
    sheetId: 0,
    sheetName: 'S',
    rowId,
    type: 'T',
    rowNumberHint: 2,
    source: 'youtube',
    status: 'queued',
    ...extra,
  };
}
