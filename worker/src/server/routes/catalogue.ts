/**
 * The catalogue's query API (docs/design.md §8), signed like all of /v1 (the app's middleware runs
 * first): people, a person with every asset, assets with filters and a cursor, one asset with its
 * metadata, chapters and transcript, and PATCH of an asset's tags and note. Every query parameter
 * is validated with zod: a bad one is a 400 naming the field.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { SOURCES } from '../../../../shared/columns.js';
import { describeZodError } from '../../../../shared/schemas.js';
import { ASSET_KINDS, ASSET_STATUSES } from '../../catalogue/schema.js';
import { CursorError, decodeCursor, type Asset, type Catalogue } from '../../catalogue/repository.js';
import { subtitlesToText } from '../../catalogue/transcript.js';
import { readMetadata } from '../../storage/metadata.js';
import type { ObjectStore } from '../../storage/types.js';

export interface CatalogueRouteDeps {
  catalogue: Catalogue;
  store: ObjectStore;
}

/** Largest subtitles/transcript file read into a response, bytes. */
const MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024;

const id = (max = 200) => z.string().trim().min(1).max(max);
const limit = z.coerce.number().int().min(1).max(500).optional();
/** A cursor must decode here, so a tampered one is a 400 and never reaches the database. */
const cursor = (parts: number) =>
  z
    .string()
    .max(2000)
    .optional()
    .refine((v) => {
      if (v === undefined) return true;
      try {
        decodeCursor(v, parts);
        return true;
      } catch {
        return false;
      }
    }, 'not a cursor this worker returned; start again without it');

const PeopleQuery = z.object({ spreadsheetId: id().optional(), q: z.string().max(200).optional(), cursor: cursor(2), limit }).strict();
const PersonQuery = z.object({ spreadsheetId: id().optional() }).strict();
const AssetsQuery = z
  .object({
    spreadsheetId: id().optional(),
    rowId: id().optional(),
    source: z.enum(SOURCES).optional(),
    kind: z.enum(ASSET_KINDS).optional(),
    mediaId: id(300).optional(),
    q: z.string().max(200).optional(),
    status: z.enum([...ASSET_STATUSES, 'all']).optional(),
    cursor: cursor(1),
    limit,
  })
  .strict();
const tag = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), 'no control characters');
const AssetPatch = z
  .object({ tags: z.array(tag).max(50).optional(), note: z.string().max(2000).optional() })
  .strict()
  .refine((p) => p.tags !== undefined || p.note !== undefined, 'send tags, note or both');
const EDITABLE = new Set(['tags', 'note']);

function badRequest(c: Context, message: string, field?: string) {
  return c.json({ error: 'invalid_request', message, ...(field ? { field } : {}) }, 400);
}

/** zod's first issue as the field a 400 names (an unknown key names itself). */
function fieldOf(error: z.ZodError): string | undefined {
  const i = error.issues[0];
  if (!i) return undefined;
  if (i.code === 'unrecognized_keys') return i.keys[0];
  return i.path.join('.') || undefined;
}

function describe(error: z.ZodError): string {
  const i = error.issues[0];
  if (i?.code === 'unrecognized_keys') return `${i.keys.join(', ')}: not a parameter of this request`;
  return describeZodError(error);
}

/** The query parameters; a parameter given twice counts once (its first value, as Hono reads it). */
function queryOf(c: Context): Record<string, string> {
  return c.req.query();
}

/** The transcript of a media folder: its `.txt` transcript, else its first subtitles file as text. */
async function transcriptOf(
  store: ObjectStore,
  siblings: Asset[],
): Promise<{ text: string; objectKey: string; language: string | null } | null> {
  const txt = siblings.find((a) => a.kind === 'transcript');
  const subs = siblings
    .filter((a) => a.kind === 'subtitles')
    .sort((a, b) => Number(!a.fileName.endsWith('.vtt')) - Number(!b.fileName.endsWith('.vtt')));
  for (const a of [txt, ...subs]) {
    if (!a || a.size > MAX_TRANSCRIPT_BYTES) continue;
    const text = await store.getText(a.objectKey);
    if (text === null) continue;
    // `<id>.<lang>.vtt`: the language yt-dlp wrote the subtitles in
    const lang = /\.([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\.[a-z0-9]+$/.exec(a.fileName)?.[1] ?? null;
    return { text: a.kind === 'transcript' ? text : subtitlesToText(text), objectKey: a.objectKey, language: lang };
  }
  return null;
}

/**
 * The routes, to mount on the app after its signature middleware: `app.route('/', catalogueRoutes(deps))`.
 */
export function catalogueRoutes(deps: CatalogueRouteDeps): Hono<{ Variables: { rawBody: string } }> {
  const app = new Hono<{ Variables: { rawBody: string } }>();
  const { catalogue, store } = deps;

  app.get('/v1/people', async (c) => {
    const q = PeopleQuery.safeParse(queryOf(c));
    if (!q.success) return badRequest(c, describe(q.error), fieldOf(q.error));
    const page = await catalogue.listPeople(q.data);
    return c.json({ people: page.items, nextCursor: page.nextCursor });
  });

  app.get('/v1/people/:rowId', async (c) => {
    const q = PersonQuery.safeParse(queryOf(c));
    if (!q.success) return badRequest(c, describe(q.error), fieldOf(q.error));
    const rowId = c.req.param('rowId');
    const found = await catalogue.findPeople(rowId, q.data.spreadsheetId);
    if (found.length === 0)
      return c.json(
        { error: 'not_found', message: `no person with row_id ${rowId}${q.data.spreadsheetId ? ` in ${q.data.spreadsheetId}` : ''}` },
        404,
      );
    if (found.length > 1) {
      return c.json(
        {
          error: 'ambiguous',
          field: 'spreadsheetId',
          message: `row_id ${rowId} is in ${found.length} spreadsheets; add spreadsheetId`,
          spreadsheetIds: found.map((p) => p.spreadsheetId),
        },
        409,
      );
    }
    return c.json(await catalogue.personWithAssets(found[0]!.personId));
  });

  app.get('/v1/assets', async (c) => {
    const q = AssetsQuery.safeParse(queryOf(c));
    if (!q.success) return badRequest(c, describe(q.error), fieldOf(q.error));
    try {
      const page = await catalogue.listAssets(q.data);
      return c.json({ assets: page.items, nextCursor: page.nextCursor });
    } catch (err) {
      if (err instanceof CursorError) return badRequest(c, `cursor: ${err.message}`, 'cursor');
      throw err;
    }
  });

  app.get('/v1/assets/:assetId', async (c) => {
    const extra = Object.keys(queryOf(c))[0];
    if (extra !== undefined) return badRequest(c, `${extra}: not a parameter of this request`, extra);
    const asset = await catalogue.getAsset(c.req.param('assetId'));
    if (!asset) return c.json({ error: 'not_found', message: `no asset ${c.req.param('assetId')}` }, 404);
    const [person, siblings, metadata] = await Promise.all([
      catalogue.getPerson(asset.personId),
      catalogue.siblings(asset),
      readMetadata(store, asset.metadataKey),
    ]);
    const chapters = Array.isArray(asset.media['chapters']) ? asset.media['chapters'] : [];
    const related = siblings
      .filter((s) => s.assetId !== asset.assetId)
      .map((s) => ({ assetId: s.assetId, kind: s.kind, fileName: s.fileName }));
    return c.json({ asset, person, metadata, chapters, transcript: await transcriptOf(store, siblings), related });
  });

  app.patch('/v1/assets/:assetId', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(c.get('rawBody') || 'null');
    } catch {
      return badRequest(c, 'body: not valid JSON', 'body');
    }
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const fixed = Object.keys(body).find((k) => !EDITABLE.has(k));
      if (fixed)
        return badRequest(
          c,
          `${fixed}: not editable; only tags and note are (the type, the row's facts and the files never change here)`,
          fixed,
        );
    }
    const p = AssetPatch.safeParse(body);
    if (!p.success) return badRequest(c, describe(p.error), fieldOf(p.error) ?? 'body');
    const asset = await catalogue.patchAsset(c.req.param('assetId'), p.data);
    return asset ? c.json(asset) : c.json({ error: 'not_found', message: `no asset ${c.req.param('assetId')}` }, 404);
  });

  return app;
}
