/**
 * Child process for the CSV concurrency test: writes one status per row, one apply() (one lock
 * cycle) at a time. Usage: node --import tsx csvWriterChild.ts <file> <source> <rowId>...
 */
import { CsvSheetBackend } from '../../worker/src/sheets/csv.js';
import type { SourceName } from '../../shared/columns.js';

const [file, source, ...rowIds] = process.argv.slice(2) as [string, SourceName, ...string[]];
const backend = new CsvSheetBackend(file, { waitMs: 30_000 });
for (const rowId of rowIds) {
  const [out] = await backend.apply([
    {
      spreadsheetId: 'csv',
      sheetId: 0,
      sheetName: 'csv',
      rowId,
      type: `T${rowId}`,
      rowNumberHint: 0,
      source,
      status: 'completed',
      files: [`${rowId}/${source}/m1/f.mp4`],
      mediaIds: [`${source}-${rowId}`],
      error: { source, attempt: 1, category: 'network', message: `${source} line for ${rowId}` },
    },
  ]);
  if (!out?.ok) throw new Error(`row ${rowId}: ${JSON.stringify(out)}`);
}
