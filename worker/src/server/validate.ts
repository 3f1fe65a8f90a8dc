/**
 * zod validation of every request part, as Hono middleware (hono/validator): a route declares its
 * query, path parameters and signed JSON body; anything malformed is a 400 naming the field
 * (thrown as HttpError, answered by errors.ts). Unknown query parameters and repeated ones are
 * refused too, so a typo never silently means "no filter".
 *
 *   app.get('/v1/things/:id', validParam(z.object({ id: JobIdSchema })), validQuery(ListQuery), (c) => {
 *     const { id } = c.req.valid('param'); const q = c.req.valid('query'); …
 *   });
 */
import { validator } from 'hono/validator';
import { z } from 'zod';
import { badRequest, fromZodError } from './errors.js';
import type { AppEnv } from './signed.js';

/** Longest query or path value accepted, characters. */
export const MAX_PARAM_CHARS = 2048;

/**
 * Validates the query string against a zod object (made strict: unknown keys are a 400).
 * Each parameter may appear once.
 */
export function validQuery<S extends z.ZodObject>(schema: S) {
  const strict = schema.strict();
  return validator('query', (value: Record<string, string | string[]>) => {
    for (const [k, v] of Object.entries(value)) {
      if (Array.isArray(v)) throw badRequest(k, `${k}: give it once, not ${v.length} times`);
      if (v.length > MAX_PARAM_CHARS) throw badRequest(k, `${k}: longer than ${MAX_PARAM_CHARS} characters`);
    }
    const r = strict.safeParse(value);
    if (!r.success) throw fromZodError(r.error, 'query');
    return r.data as z.output<S>;
  });
}

/** Validates the route's path parameters (`:jobId` …) against a zod object. */
export function validParam<S extends z.ZodObject>(schema: S) {
  return validator('param', (value: Record<string, string>) => {
    const r = schema.safeParse(value);
    if (!r.success) throw fromZodError(r.error, 'param');
    return r.data as z.output<S>;
  });
}

/**
 * Parses the signed raw body (signed.ts keeps it) as JSON and validates it; a 400 names the
 * dotted path of the first bad field, or `body` when it is not JSON.
 */
export function validSignedJson<S extends z.ZodType>(schema: S) {
  return validator('json', (_value: unknown, c) => {
    let body: unknown;
    try {
      body = JSON.parse((c as unknown as { get(k: 'rawBody'): string }).get('rawBody'));
    } catch {
      throw badRequest('body', 'body: not valid JSON');
    }
    const r = schema.safeParse(body);
    if (!r.success) throw fromZodError(r.error, 'body');
    return r.data as z.output<S>;
  });
}

/** A job id as newJobId makes them (`j_` + ULID); anything else cannot name a job. */
export const JobIdSchema = z.string().regex(/^j_[0-9A-Za-z]{1,64}$/, 'a job id looks like j_01JD3X9Q7M4ZK8V2N5T6W1R0YA');

/** Path parameters of the `/v1/jobs/:jobId…` routes. */
export const JobIdParam = z.object({ jobId: JobIdSchema });

/** The empty query: routes that take no parameters still refuse unknown ones. */
export const NoQuery = z.object({});

export type { AppEnv };
