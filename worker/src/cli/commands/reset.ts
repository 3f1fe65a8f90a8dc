/** `reset <sheet.csv> --row-id ID… --source youtube|drive|both`: makes rows pending again. */
import { resetRows } from '../../sheets/csv.js';
import { existingCsv, parseSources, UsageError } from '../context.js';
import { printJson } from '../output.js';

export async function resetAction(path: string, o: { rowId: string[]; source: string; json?: boolean }): Promise<void> {
  if (!o.rowId?.length) throw new UsageError('--row-id: give at least one row_id');
  const result = await resetRows(existingCsv(path), o.rowId, parseSources(o.source, '--source'));
  if (!result.reset.length) process.exitCode = 1;
  if (o.json) return printJson(result);
  if (result.reset.length) process.stdout.write(`reset: ${result.reset.join(', ')} (pending again; run \`sheet-archiver run ${path}\`)\n`);
  if (result.notFound.length) process.stdout.write(`no such row_id: ${result.notFound.join(', ')}\n`);
  if (result.refused.length) process.stdout.write(`not reset (empty or duplicated row_id): ${result.refused.join(', ')}\n`);
}
