/**
 * `sheet-archiver erase` and `catalogue purge` (docs/catalogue.md "Erase it"), on the local data:
 * the catalogue, the store and the configured write-back (or `--csv`, a `run`'s sheet), with no
 * serve running. catalogue/erase.ts does the work; this asks for confirmation and reports.
 */
import { createInterface } from 'node:readline/promises';
import { parseDuration } from '../../../../shared/duration.js';
import { catalogueTarget } from '../../catalogue/index.js';
import { eraseSummary, hardErase, listErasures, purgeDeleted, softDeletePerson } from '../../catalogue/erase.js';
import { Catalogue } from '../../catalogue/repository.js';
import { CsvSheetBackend } from '../../sheets/csv.js';
import { createSystem, storeFromConfig } from '../../system.js';
import { cliLogger, configWith, existingCsv, UsageError } from '../context.js';
import { formatBytes, printJson } from '../output.js';
import { csvSpreadsheetId, runQueuePath } from './run.js';

export interface EraseOptions {
  rowId: string;
  spreadsheet?: string;
  /** a `run`'s CSV sheet: its write-back, its queue, and `csv:<path>` as the spreadsheet */
  csv?: string;
  hard?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** Asks on the terminal; true only for y/yes. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `erase --row-id ID --spreadsheet ID [--hard] [--yes] [--json]`. Exit 0 erased, 1 no such person
 * or not confirmed, 2 could not run (no --yes without a terminal, bad flags).
 */
export async function eraseAction(o: EraseOptions): Promise<void> {
  const csv = o.csv ? existingCsv(o.csv) : undefined;
  const spreadsheetId = o.spreadsheet ?? (csv ? csvSpreadsheetId(csv) : undefined);
  if (!spreadsheetId) throw new UsageError('--spreadsheet: required (the spreadsheet id, or give --csv <sheet.csv> for a `run` sheet)');
  if (!o.yes && !process.stdin.isTTY) throw new UsageError('refusing to erase without --yes: stdin is not a terminal to confirm on');
  const config = configWith();
  const log = cliLogger();
  const system = await createSystem({
    config,
    log,
    ...(csv ? { backend: new CsvSheetBackend(csv, { logger: log }), queuePath: runQueuePath(config.dataDir, csv) } : {}),
  });
  let code = 0;
  try {
    const person = (await system.catalogue.findPeople(o.rowId, spreadsheetId))[0];
    if (!person) {
      // erased already (maybe finished just now, by this start resuming an interrupted erase): done
      const past = (await listErasures(system.catalogue, { spreadsheetId, rowId: o.rowId }))[0];
      if (o.hard && past?.finishedAt) {
        await system.reporter.flush();
        if (o.json) return printJson({ hard: true, erasure: past, sheetUpdatesPending: await system.outbox.size() });
        process.stdout.write(
          `Row ${o.rowId} of ${spreadsheetId} is erased (${past.note}; ${past.files} file(s), ${formatBytes(past.bytes)}).\n`,
        );
        return;
      }
      process.stderr.write(`sheet-archiver: no person with row_id ${o.rowId} in ${spreadsheetId} (see \`sheet-archiver people\`)\n`);
      code = 1;
      return;
    }
    const { files, bytes } = await eraseSummary(system.catalogue, person.personId);
    if (!o.yes) {
      const who = `row ${person.rowId}${person.name ? ` (${person.name})` : ''} of ${spreadsheetId}`;
      const q = o.hard
        ? `Erase ${who} for good: delete ${files} file(s), ${formatBytes(bytes)}, from ${system.store.describe()}, its catalogue entries, and clear its tracking cells? [y/N] `
        : `Soft-delete ${files} file(s), ${formatBytes(bytes)}, of ${who}? They are hidden from lists and kept until a hard erase or \`catalogue purge\`. [y/N] `;
      if (!(await confirm(q))) {
        process.stderr.write('sheet-archiver: not erased\n');
        code = 1;
        return;
      }
    }
    if (!o.hard) {
      const n = await softDeletePerson(system.catalogue, person.personId);
      if (o.json) return printJson({ hard: false, personId: person.personId, rowId: person.rowId, spreadsheetId, deletedAssets: n });
      process.stdout.write(
        `Soft-deleted ${n} file(s) of row ${person.rowId}: hidden from lists; \`sheet-archiver catalogue purge\` removes them later.\n`,
      );
      return;
    }
    const erasure = await hardErase(system.erase, person);
    // the sheet's cells go out through the normal write-back, now
    await system.reporter.flush();
    const pending = await system.outbox.size();
    if (o.json) return printJson({ hard: true, erasure, sheetUpdatesPending: pending });
    process.stdout.write(
      `Erased row ${person.rowId} of ${spreadsheetId}: ${erasure.files} file(s), ${formatBytes(erasure.bytes)} deleted; ` +
        `${erasure.cancelledJobs.length} open job(s) cancelled; catalogue entries removed; ` +
        (pending
          ? `${pending} sheet update(s) wait in the outbox (write-back ${system.backend.kind}).\n`
          : `tracking cells cleared ("${erasure.note}").\n`),
    );
  } finally {
    await system.close();
    if (code) process.exitCode = code;
  }
}

/** `30d`, `12h`, `90m`, `45s` → ms. @throws UsageError naming the flag */
export function parseAge(value: string, flag = '--older-than'): number {
  // 0s (any unit) is a valid age here: purge everything soft-deleted so far
  const ms = /^\s*0+\s*[smhdw]\s*$/i.test(value) ? 0 : parseDuration(value);
  if (ms === null) throw new UsageError(`${flag}: "${value}" is not an age such as 30d, 12h, 90m or 45s`);
  return ms;
}

/** `catalogue purge --older-than 30d`: hard-deletes the assets soft-deleted before that age. */
export async function purgeAction(o: { olderThan: string; json?: boolean }): Promise<void> {
  const age = parseAge(o.olderThan);
  const config = configWith();
  const catalogue = await Catalogue.open(catalogueTarget(config));
  try {
    const store = await storeFromConfig(config);
    const before = new Date(Date.now() - age);
    const r = await purgeDeleted(catalogue, store, before);
    if (o.json) return printJson({ before: before.toISOString(), ...r });
    process.stdout.write(`Purged ${r.assets} file(s), ${formatBytes(r.bytes)}, soft-deleted before ${before.toISOString()}.\n`);
  } finally {
    await catalogue.close();
  }
}
