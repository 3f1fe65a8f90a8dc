/**
 * A row's archived media for the sidebar's per-row panel (docs/design.md §8): asks the worker for
 * the person's assets (`GET /v1/people/:rowId?spreadsheetId=`) and, in one `UrlFetchApp.fetchAll`,
 * for a link to each (`POST /v1/assets/:assetId/link`), both signed like every /v1 call. Runs only
 * when the user opens a row's panel, and links at most MAX_LINKS files, to spare the UrlFetch quota
 * (https://developers.google.com/apps-script/guides/services/quotas).
 */
import type { ArchivedFileView, ArchivedMediaView } from './api.js';
import { readSettings } from './settings.js';
import { describeFetchException, describeHttpFailure, signedRequest } from './workerClient.js';

/** Most links asked for per panel; the rest are counted, not linked. */
export const MAX_LINKS = 20;

/** Kinds a person opens; `metadata` and `info` (machine-readable JSON) are left out. */
const SHOWN = new Set(['video', 'audio', 'subtitles', 'transcript', 'thumbnail', 'comments', 'document', 'export']);

interface WorkerAsset {
  assetId: string;
  kind: string;
  fileName: string;
  size: number;
  source: string;
  mediaId: string;
}
interface PersonAnswer {
  sources?: Record<string, Array<{ mediaId: string; title: string | null; assets: WorkerAsset[] }>>;
}

/** `https://host/prefix` → `https://host`. */
function originOf(url: string): string {
  return /^https?:\/\/[^/?#]+/i.exec(url)?.[0] ?? '';
}

function fail(rowId: string, message: string): ArchivedMediaView {
  return { ok: false, message, rowId, files: [], total: 0, expiresAt: '' };
}

/**
 * The archived files of `rowId` in `spreadsheetId`, each with a link that opens without the
 * signature header (valid 15 minutes, the worker's default). Never throws for an HTTP failure:
 * `ok` false with a sentence to show.
 */
export function archivedMedia(spreadsheetId: string, rowId: string): ArchivedMediaView {
  const id = String(rowId ?? '').trim();
  if (!id || id.length > 200) return fail(id, 'Give the row_id of a row (1 to 200 characters).');
  const s = readSettings(spreadsheetId);
  if (!s.workerUrl || !s.secret) return fail(id, 'Set the worker URL and the shared secret in Settings first.');
  const path = `/v1/people/${encodeURIComponent(id)}?spreadsheetId=${encodeURIComponent(spreadsheetId)}`;
  let person: PersonAnswer;
  try {
    const { url, ...params } = signedRequest(s.workerUrl, s.secret, 'get', path);
    const res = UrlFetchApp.fetch(url!, params);
    const code = res.getResponseCode();
    if (code === 404) return { ok: true, message: `Nothing is archived for row ${id} yet.`, rowId: id, files: [], total: 0, expiresAt: '' };
    if (code !== 200) return fail(id, describeHttpFailure(code, res.getContentText()));
    person = JSON.parse(res.getContentText()) as PersonAnswer;
  } catch (e) {
    return fail(id, describeFetchException(s.workerUrl, String((e as Error)?.message ?? e)));
  }
  const all: Array<WorkerAsset & { title: string | null }> = [];
  for (const groups of Object.values(person.sources ?? {}))
    for (const g of groups) for (const a of g.assets) if (SHOWN.has(a.kind)) all.push({ ...a, title: g.title });
  const chosen = all.slice(0, MAX_LINKS);
  if (chosen.length === 0)
    return { ok: true, message: `Row ${id} has no archived media files yet.`, rowId: id, files: [], total: 0, expiresAt: '' };
  let answers: GoogleAppsScript.URL_Fetch.HTTPResponse[];
  try {
    answers = UrlFetchApp.fetchAll(
      chosen.map((a) => signedRequest(s.workerUrl, s.secret, 'post', `/v1/assets/${encodeURIComponent(a.assetId)}/link`)),
    );
  } catch (e) {
    return fail(id, describeFetchException(s.workerUrl, String((e as Error)?.message ?? e)));
  }
  const files: ArchivedFileView[] = [];
  let expiresAt = '';
  for (let i = 0; i < chosen.length; i++) {
    const a = chosen[i]!;
    const res = answers[i]!;
    if (res.getResponseCode() !== 200) return fail(id, describeHttpFailure(res.getResponseCode(), res.getContentText()));
    const link = JSON.parse(res.getContentText()) as { path: string; expiresAt: string };
    // the worker's own origin may be an internal one behind a proxy: the add-on's worker URL is the one people reach
    files.push({
      assetId: a.assetId,
      fileName: a.fileName,
      kind: a.kind,
      source: a.source,
      mediaId: a.mediaId,
      title: a.title,
      size: a.size,
      url: originOf(s.workerUrl) + link.path,
    });
    expiresAt = link.expiresAt;
  }
  const more =
    all.length > files.length
      ? ` Showing ${files.length} of ${all.length}; the rest are in the catalogue (sheet-archiver people ${id}).`
      : '';
  return {
    ok: true,
    message: `${all.length} archived ${all.length === 1 ? 'file' : 'files'} for row ${id}. Links work until ${expiresAt.slice(11, 16)} UTC.${more}`,
    rowId: id,
    files,
    total: all.length,
    expiresAt,
  };
}
