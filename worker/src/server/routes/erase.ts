/**
 * Erase over the signed API (docs/catalogue.md "Erase it"; catalogue/erase.ts does the work):
 *   DELETE /v1/people/:rowId?spreadsheetId=&hard=true|false  soft delete (default) or the hard erase
 *   DELETE /v1/assets/:assetId                                soft delete of one asset
 * Parameters are zod-validated (a 400 names the field); an unknown person or asset is a 404.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { hardErase, softDeleteAsset, softDeletePerson, type EraseDeps } from '../../catalogue/erase.js';
import { HttpError, notFound } from '../errors.js';
import type { AppEnv } from '../signed.js';
import { validParam, validQuery } from '../validate.js';

export type EraseRouteDeps = EraseDeps;

const RowIdParam = z.object({ rowId: z.string().trim().min(1, 'a row_id').max(200) });
/** Asset ids are `a_` + 24 hex (catalogue/assets.ts). */
const AssetIdParam = z.object({ assetId: z.string().regex(/^a_[0-9a-f]{24}$/, 'an asset id looks like a_3f9c0d…, 24 hex digits') });
const PersonDeleteQuery = z.object({
  spreadsheetId: z.string().trim().min(1).max(200).optional(),
  hard: z.enum(['true', 'false'], { error: 'true or false' }).optional(),
});

/** The routes, to mount after the signature middleware: `app.route('/', eraseRoutes(deps))`. */
export function eraseRoutes(deps: EraseRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalogue } = deps;

  app.delete('/v1/people/:rowId', validParam(RowIdParam), validQuery(PersonDeleteQuery), async (c) => {
    const { rowId } = c.req.valid('param');
    const { spreadsheetId, hard } = c.req.valid('query');
    const found = await catalogue.findPeople(rowId, spreadsheetId);
    if (found.length === 0) throw notFound(`no person with row_id ${rowId}${spreadsheetId ? ` in ${spreadsheetId}` : ''}`);
    if (found.length > 1) {
      throw new HttpError(409, 'conflict', `row_id ${rowId} is in ${found.length} spreadsheets; add spreadsheetId`, {
        field: 'spreadsheetId',
      });
    }
    const person = found[0]!;
    if (hard === 'true') return c.json({ hard: true, erasure: await hardErase(deps, person) });
    const assets = await softDeletePerson(catalogue, person.personId);
    return c.json({
      hard: false,
      personId: person.personId,
      rowId: person.rowId,
      spreadsheetId: person.spreadsheetId,
      deletedAssets: assets,
    });
  });

  app.delete('/v1/assets/:assetId', validParam(AssetIdParam), validQuery(z.object({})), async (c) => {
    const { assetId } = c.req.valid('param');
    if (!(await softDeleteAsset(catalogue, assetId))) throw notFound(`no asset ${assetId}`);
    return c.json({ hard: false, asset: await catalogue.getAsset(assetId) });
  });

  return app;
}
