/**
 * The catalogue from the command line (docs/catalogue.md): `catalogue rebuild|import|export`, and
 * `people` / `assets`, which mirror GET /v1/people… and GET/PATCH /v1/assets… (each with --json).
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { SourceName } from '../../../../shared/columns.js';
import { catalogueTarget } from '../../catalogue/index.js';
import { exportCatalogue, importSheet } from '../../catalogue/importExport.js';
import { rebuildCatalogue } from '../../catalogue/rebuild.js';
import { Catalogue, CursorError, type Asset } from '../../catalogue/repository.js';
import type { AssetKind, AssetStatus } from '../../catalogue/schema.js';
import { recoverIntents } from '../../catalogue/sink.js';
import { subtitlesToText } from '../../catalogue/transcript.js';
import { storeFromConfig } from '../../system.js';
import { configWith, existingCsv, UsageError } from '../context.js';
import { formatBytes, formatTable, printJson } from '../output.js';
import { csvSpreadsheetId } from './run.js';

async function open(o: { out?: string } = {}) {
  const config = configWith({ ARCHIVER_ARCHIVE_DIR: o.out });
  const catalogue = await Catalogue.open(catalogueTarget(config));
  return { config, catalogue };
}

async function withCatalogue<T>(o: { out?: string }, fn: (c: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
  const c = await open(o);
  try {
    return await fn(c);
  } finally {
    await c.catalogue.close();
  }
}

/** `catalogue rebuild`: the catalogue from every metadata.json in storage. Idempotent. */
export async function rebuildAction(o: { out?: string; json?: boolean; prune?: boolean }): Promise<void> {
  await withCatalogue(o, async ({ config, catalogue }) => {
    const store = await storeFromConfig(config);
    const tty = process.stderr.isTTY && !o.json;
    await recoverIntents(catalogue, store);
    const report = await rebuildCatalogue(catalogue, store, {
      prefix: config.env.ARCHIVER_PREFIX,
      prune: o.prune !== false,
      onProgress: (n) => tty && process.stderr.write(`\rcatalogue: ${n} metadata.json file(s) read`),
    });
    if (tty) process.stderr.write('\n');
    if (o.json) return printJson({ catalogue: catalogue.describe, storage: store.describe(), ...report });
    process.stdout.write(
      `Rebuilt ${catalogue.describe} from ${report.files} metadata.json file(s) in ${store.describe()} (${(report.ms / 1000).toFixed(1)} s); ${report.pruned} asset(s) no longer in storage removed.\n`,
    );
    for (const s of report.skipped) process.stdout.write(`  skipped ${s.key}: ${s.reason}\n`);
  });
}

/** `catalogue import sheet.csv`: registers the people of a sheet. */
export async function importAction(path: string, o: { spreadsheetId?: string; sheetName?: string; json?: boolean }): Promise<void> {
  const file = existingCsv(path);
  await withCatalogue({}, async ({ config, catalogue }) => {
    const report = await importSheet(catalogue, file, {
      spreadsheetId: o.spreadsheetId ?? csvSpreadsheetId(file),
      allowedHosts: config.allowedHosts,
      ...(o.sheetName ? { sheetName: o.sheetName } : {}),
    });
    if (o.json) return printJson(report);
    process.stdout.write(
      `Imported ${report.created + report.updated} person(s) (${report.created} new, ${report.updated} updated) into ${catalogue.describe}.\n`,
    );
    for (const s of report.skipped) process.stdout.write(`  row ${s.rowNumber} skipped: ${s.reason}\n`);
  });
}

/** `catalogue export --format csv|json [--output file]`: one row per asset with the person's columns. */
export async function exportAction(o: { format: string; output?: string }): Promise<void> {
  if (o.format !== 'csv' && o.format !== 'json') throw new UsageError(`--format: "${o.format}" is not csv or json`);
  await withCatalogue({}, async ({ catalogue }) => {
    const out: Writable = o.output ? createWriteStream(resolve(o.output)) : process.stdout;
    const n = await exportCatalogue(catalogue, o.format as 'csv' | 'json', out);
    if (o.output) {
      out.end();
      await finished(out);
      process.stderr.write(`catalogue: ${n} asset row(s) written to ${o.output}\n`);
    }
  });
}

/** `people [row_id]`: the people of the catalogue, or one person with every asset. */
export async function peopleAction(
  rowId: string | undefined,
  o: { spreadsheetId?: string; q?: string; limit?: number; cursor?: string; json?: boolean },
): Promise<void> {
  checkLimit(o.limit);
  await withCatalogue({}, async ({ catalogue }) => {
    if (rowId === undefined) {
      const page = await catalogue.listPeople({ ...o }).catch(cursorUsage);
      if (o.json) return printJson({ people: page.items, nextCursor: page.nextCursor });
      process.stdout.write(
        formatTable(
          ['row_id', 'name', 'email', 'type', 'assets', 'spreadsheet'],
          page.items.map((p) => [p.rowId, p.name, p.email, p.type, p.assets, p.spreadsheetId]),
        ) + '\n',
      );
      if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      return;
    }
    const found = await catalogue.findPeople(rowId, o.spreadsheetId);
    if (found.length === 0) {
      process.stderr.write(`people: no person with row_id ${rowId}${o.spreadsheetId ? ` in ${o.spreadsheetId}` : ''}\n`);
      process.exitCode = 1;
      return;
    }
    if (found.length > 1)
      throw new UsageError(
        `row_id ${rowId} is in ${found.length} spreadsheets (${found.map((p) => p.spreadsheetId).join(', ')}); add --spreadsheet-id`,
      );
    const view = (await catalogue.personWithAssets(found[0]!.personId))!;
    if (o.json) return printJson(view);
    const p = view.person;
    const lines = [
      `row_id:  ${p.rowId}`,
      `name:    ${p.name}${p.email ? ` <${p.email}>` : ''}`,
      `type:    ${p.type}`,
      `sheet:   ${p.sheetName} (${p.spreadsheetId})`,
      `assets:  ${p.assets}`,
    ];
    for (const source of ['youtube', 'drive'] as SourceName[]) {
      for (const g of view.sources[source]) {
        lines.push('', `${source} ${g.mediaId}${g.title ? ` — ${g.title}` : ''}`, `  ${g.link}`);
        for (const a of g.assets) lines.push(`  ${a.kind.padEnd(10)} ${formatBytes(a.size).padStart(10)}  ${a.assetId}  ${a.objectKey}`);
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
  });
}

/** @throws UsageError for a --limit over the API's 500 */
function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && limit > 500) throw new UsageError(`--limit: ${limit} is over 500; page with --cursor`);
}

function cursorUsage(err: unknown): never {
  if (err instanceof CursorError) throw new UsageError(`--cursor: ${err.message}`);
  throw err;
}

/** `assets [asset_id]`: list assets with filters, or show one (and set its tags/note). */
export async function assetsAction(
  assetId: string | undefined,
  o: {
    rowId?: string;
    spreadsheetId?: string;
    source?: SourceName;
    kind?: AssetKind;
    mediaId?: string;
    q?: string;
    status?: AssetStatus | 'all';
    limit?: number;
    cursor?: string;
    tags?: string;
    note?: string;
    json?: boolean;
  },
): Promise<void> {
  checkLimit(o.limit);
  await withCatalogue({}, async ({ config, catalogue }) => {
    if (assetId === undefined) {
      if (o.tags !== undefined || o.note !== undefined)
        throw new UsageError('--tags/--note: name the asset (sheet-archiver assets <asset_id> --tags …)');
      const { tags: _t, note: _n, json: _j, ...filter } = o;
      const page = await catalogue.listAssets(filter).catch(cursorUsage);
      if (o.json) return printJson({ assets: page.items, nextCursor: page.nextCursor });
      process.stdout.write(
        formatTable(
          ['asset_id', 'row_id', 'source', 'kind', 'media_id', 'size', 'title', 'file'],
          page.items.map((a) => [a.assetId, a.rowId, a.source, a.kind, a.mediaId, formatBytes(a.size), a.title ?? '', a.fileName]),
        ) + '\n',
      );
      if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      return;
    }
    let asset: Asset | null;
    if (o.tags !== undefined || o.note !== undefined) {
      const tags =
        o.tags === undefined
          ? undefined
          : o.tags
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean);
      if (tags?.some((t) => t.length > 64)) throw new UsageError('--tags: each tag is at most 64 characters');
      if (o.note !== undefined && o.note.length > 2000) throw new UsageError('--note: at most 2000 characters');
      asset = await catalogue.patchAsset(assetId, { ...(tags ? { tags } : {}), ...(o.note !== undefined ? { note: o.note } : {}) });
    } else asset = await catalogue.getAsset(assetId);
    if (!asset) {
      process.stderr.write(`assets: no asset ${assetId}\n`);
      process.exitCode = 1;
      return;
    }
    const store = await storeFromConfig(config);
    const subs = (await catalogue.siblings(asset)).find((s) => s.kind === 'subtitles' || s.kind === 'transcript');
    const subsText = subs ? await store.getText(subs.objectKey) : null;
    const transcript = subsText === null ? null : subs!.kind === 'transcript' ? subsText : subtitlesToText(subsText);
    if (o.json) return printJson({ asset, transcript });
    const lines = [
      `asset:    ${asset.assetId} (${asset.kind}, ${asset.status})`,
      `file:     ${asset.objectKey} (${formatBytes(asset.size)}, sha256 ${asset.sha256.slice(0, 16)}…)`,
      `where:    ${asset.storageUrl}`,
      `row_id:   ${asset.rowId} (${asset.spreadsheetId})`,
      `source:   ${asset.source} ${asset.mediaId}${asset.title ? ` — ${asset.title}` : ''}`,
      `link:     ${asset.link}`,
      `tags:     ${asset.tags.join(', ')}`,
      `note:     ${asset.note}`,
    ];
    const chapters = Array.isArray(asset.media['chapters']) ? (asset.media['chapters'] as { title?: string; start_time?: number }[]) : [];
    if (chapters.length) lines.push('chapters:', ...chapters.map((c) => `  ${Math.round(c.start_time ?? 0)}s  ${c.title ?? ''}`));
    if (transcript)
      lines.push(
        'transcript:',
        ...transcript
          .split('\n')
          .slice(0, 20)
          .map((l) => `  ${l}`),
      );
    process.stdout.write(lines.join('\n') + '\n');
  });
}
