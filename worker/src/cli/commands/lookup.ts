/** `lookup <key|path>`: which row an archived file came from (design §5, file → row). */
import { lookup } from '../../storage/lookup.js';
import { storeFromConfig } from '../../system.js';
import { configWith } from '../context.js';
import { formatBytes, printJson } from '../output.js';

export async function lookupAction(keyOrPath: string, o: { out?: string; json?: boolean }): Promise<void> {
  const config = configWith({ ARCHIVER_ARCHIVE_DIR: o.out });
  const store = await storeFromConfig(config);
  const found = await lookup(store, keyOrPath, config.env.ARCHIVER_PREFIX);
  if (!found) {
    process.stderr.write(`lookup: ${keyOrPath} is not an archived file in ${store.describe()}\n`);
    process.exitCode = 1;
    return;
  }
  if (o.json) return printJson({ ...found, location: await store.locate(found.key) });
  const r = found.row;
  const lines = [
    `file:      ${found.key}${found.file ? ` (${formatBytes(found.file.size)}, sha256 ${found.file.sha256.slice(0, 16)}…)` : ''}`,
    `row_id:    ${r.rowId}`,
    `name:      ${r.name}${r.email ? ` <${r.email}>` : ''}`,
    `type:      ${r.type}`,
    `sheet:     ${r.sheetName} (${r.spreadsheetId})`,
    `source:    ${found.source} ${found.mediaId}${found.title ? ` — ${found.title}` : ''}`,
    `link:      ${found.url}`,
    `metadata:  ${found.metadataKey}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
