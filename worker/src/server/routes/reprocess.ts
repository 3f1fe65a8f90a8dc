/**
 * Reprocess without downloading (docs/design.md §4, §8), signed like all of /v1:
 *   POST /v1/assets/:assetId/reprocess                  the asset's media folder
 *   POST /v1/people/:rowId/reprocess?spreadsheetId=     every media folder of the person
 * Each enqueues a `reprocess` job per source (its links are the folders' metadata.json keys) and
 * answers 202 with it; the runner runs it through pipeline/executeReprocess.ts. Asking again while
 * one is open returns the open job (the queue's idempotency key includes the kind).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { SourceName } from '../../../../shared/columns.js';
import { DispatchOptionsSchema, type JobRecord } from '../../../../shared/schemas.js';
import type { Catalogue, Person } from '../../catalogue/repository.js';
import type { EventBus } from '../../events/bus.js';
import type { JobEvents } from '../../events/jobEvents.js';
import type { Logger } from '../../log.js';
import type { JobBackend, NewJob } from '../../jobs/types.js';
import { HttpError, notFound } from '../errors.js';
import type { AppEnv } from '../signed.js';
import { NoQuery, validParam, validQuery } from '../validate.js';

export interface ReprocessRouteDeps {
  catalogue: Catalogue;
  queue: JobBackend;
  log: Logger;
  events?: JobEvents<EventBus | null>;
  /** wakes the runner after an enqueue */
  onEnqueued?: () => void;
}

/** An asset id as catalogue/assets.ts assetIdOf makes them. */
export const AssetIdSchema = z.string().regex(/^a_[0-9a-f]{24}$/, 'an asset id looks like a_ followed by 24 hex digits');
const AssetParam = z.object({ assetId: AssetIdSchema });
const RowParam = z.object({ rowId: z.string().trim().min(1, 'row_id must not be empty').max(200) });
const PersonQuery = z.object({ spreadsheetId: z.string().trim().min(1).max(200).optional() });

/** The reprocess jobs of `person` for media folders (source, metadata.json key): one per source. */
export function reprocessJobsOf(person: Person, folders: { source: SourceName; metadataKey: string }[]): NewJob[] {
  const bySource = new Map<SourceName, Set<string>>();
  for (const f of folders) {
    if (!bySource.has(f.source)) bySource.set(f.source, new Set());
    bySource.get(f.source)!.add(f.metadataKey);
  }
  return [...bySource].map(([source, keys]) => ({
    dispatchId: randomUUID(),
    spreadsheetId: person.spreadsheetId,
    sheetId: person.sheetId ?? 0,
    sheetName: person.sheetName,
    rowId: person.rowId,
    rowNumber: Math.max(2, person.rowNumber ?? 2),
    name: person.name,
    email: person.email,
    type: person.type,
    source,
    kind: 'reprocess',
    links: [...keys].sort(),
    attempt: 1,
    options: DispatchOptionsSchema.parse({ sources: [source] }),
  }));
}

/** The routes, to mount after the app's signature middleware: `app.route('/', reprocessRoutes(deps))`. */
export function reprocessRoutes(deps: ReprocessRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalogue, queue } = deps;

  const enqueue = async (jobs: NewJob[]): Promise<JobRecord[]> => {
    const results = await queue.enqueue(jobs);
    for (const r of results) if (r.created) deps.events?.queued(r.job);
    if (results.some((r) => r.created)) deps.onEnqueued?.();
    return results.map((r) => r.job);
  };

  app.post('/v1/assets/:assetId/reprocess', validParam(AssetParam), validQuery(NoQuery), async (c) => {
    const { assetId } = c.req.valid('param');
    const asset = await catalogue.getAsset(assetId);
    if (!asset || asset.status !== 'stored') throw notFound(`no stored asset ${assetId}`);
    const person = await catalogue.getPerson(asset.personId);
    if (!person) throw notFound(`no person for asset ${assetId}`);
    const [job] = await enqueue(reprocessJobsOf(person, [asset]));
    deps.log.info({ assetId, jobId: job!.jobId, rowId: person.rowId }, 'reprocess accepted');
    return c.json(job!, 202);
  });

  app.post('/v1/people/:rowId/reprocess', validParam(RowParam), validQuery(PersonQuery), async (c) => {
    const { rowId } = c.req.valid('param');
    const { spreadsheetId } = c.req.valid('query');
    const found = await catalogue.findPeople(rowId, spreadsheetId);
    if (found.length === 0) throw notFound(`no person with row_id ${rowId}${spreadsheetId ? ` in ${spreadsheetId}` : ''}`);
    if (found.length > 1)
      throw new HttpError(409, 'conflict', `row_id ${rowId} is in ${found.length} spreadsheets; add spreadsheetId`, {
        field: 'spreadsheetId',
      });
    const withAssets = await catalogue.personWithAssets(found[0]!.personId);
    const folders = Object.values(withAssets?.sources ?? {}).flatMap((groups) => groups.flatMap((g) => g.assets));
    if (!withAssets || folders.length === 0) throw notFound(`row_id ${rowId} has no stored assets to reprocess`);
    const jobs = await enqueue(reprocessJobsOf(withAssets.person, folders));
    deps.log.info({ rowId, jobs: jobs.map((j) => j.jobId) }, 'reprocess accepted');
    return c.json({ jobs }, 202);
  });

  return app;
}
