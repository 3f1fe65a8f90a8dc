/**
 * HTTP errors of the worker's API, and the one place that maps anything thrown to an HTTP answer
 * (`app.onError(httpErrorHandler(log))`). Routes throw; they never build error responses.
 *
 * Every error body is `{"error": <code>, "message": <text>, "field"?: <name>}`; a 400 always names
 * the field (query parameter, path parameter, or dotted body path) it is about.
 */
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { describeZodError } from '../../../shared/schemas.js';
import type { Logger } from '../log.js';
import { QueueError, type QueueErrorCode } from '../jobs/errors.js';

/** The `error` codes the API answers with. */
export type HttpErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'attempts_exhausted'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

/** An error with the HTTP answer it deserves. Safe to show the caller: never put secrets in `message`. */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: HttpErrorCode;
  /** the request field a 400 is about (`cursor`, `jobId`, `rows.0.rowId`, `body`) */
  readonly field: string | undefined;

  constructor(status: ContentfulStatusCode, code: HttpErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.field = opts.field;
  }

  /** The JSON body of this error. */
  body(): { error: HttpErrorCode; message: string; field?: string } {
    return { error: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

/** 400 about one field; the message should start with the field's name. */
export function badRequest(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_request', message, { field });
}

/** 404: no such thing (job, file, route). */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'not_found', message);
}

/** 400 from a zod error: names the first issue's path, prefixed by `where` (e.g. `rows.0.rowId`). */
export function fromZodError(error: z.ZodError, where?: string): HttpError {
  const first = error.issues[0];
  const path = first?.path.map(String).join('.') ?? '';
  // an unknown key is reported on its parent object: name the key itself
  const key = first?.code === 'unrecognized_keys' ? first.keys[0] : undefined;
  const field = [path, key].filter(Boolean).join('.') || where || 'body';
  if (key !== undefined) return new HttpError(400, 'invalid_request', `${field}: not a parameter of this route`, { field });
  return new HttpError(400, 'invalid_request', describeZodError(error), { field });
}

const QUEUE_STATUS: Record<QueueErrorCode, { status: ContentfulStatusCode; code: HttpErrorCode }> = {
  not_found: { status: 404, code: 'not_found' },
  conflict: { status: 409, code: 'conflict' },
  attempts_exhausted: { status: 409, code: 'attempts_exhausted' },
  lease_lost: { status: 409, code: 'conflict' },
  invalid_argument: { status: 400, code: 'invalid_request' },
  unavailable: { status: 503, code: 'unavailable' },
};

/**
 * Seconds a client is told to wait (`Retry-After`) when the queue backend cannot be reached: about
 * one reconnect of the backend's client with backoff (docs/scaling.md "When Redis goes away").
 */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * True when the request failed because the client went away (aborted or reset mid-body): the
 * client's fault, and nobody is left to read an answer.
 */
export function isClientAbort(err: unknown, c?: Context): boolean {
  const incoming = (c?.env as { incoming?: { aborted?: boolean; destroyed?: boolean; complete?: boolean } } | undefined)?.incoming;
  if (incoming && (incoming.aborted || (incoming.destroyed && !incoming.complete))) return true;
  for (let e = err as { name?: string; code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (e.name === 'AbortError' || e.code === 'ECONNRESET' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'ABORT_ERR')
      return true;
    if (e.message === 'aborted' || e.message === 'terminated') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Maps anything thrown to an HttpError: HttpError as is; QueueError by its code (not_found → 404,
 * conflict/attempts_exhausted/lease_lost → 409, invalid_argument → 400); ZodError → 400 naming the
 * field; Hono's HTTPException by its status; anything else → 500 `internal` with a generic message.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QueueError) {
    const m = QUEUE_STATUS[err.code];
    // the backend's own message may name its address: the caller gets a fixed one
    if (err.code === 'unavailable')
      return new HttpError(
        m.status,
        m.code,
        `the job queue cannot be reached right now; nothing was changed. Try again in ${UNAVAILABLE_RETRY_AFTER_S} s`,
        { cause: err },
      );
    const field = err.code === 'invalid_argument' ? (err.field ?? 'query') : undefined;
    return new HttpError(m.status, m.code, err.message, { cause: err, ...(field ? { field } : {}) });
  }
  if (err instanceof z.ZodError) return fromZodError(err);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code: HttpErrorCode =
      status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : status < 500 ? 'invalid_request' : 'internal';
    // hono/validator's only own 400 is malformed JSON in the body
    const message = status === 400 ? `body: ${err.message || 'malformed'}` : status < 500 ? err.message || 'refused' : 'internal error';
    return new HttpError(status, code, message, { cause: err, ...(status === 400 ? { field: 'body' } : {}) });
  }
  return new HttpError(500, 'internal', 'the worker could not handle this request; see its log', { cause: err });
}

/**
 * The app's one error handler (`app.onError`). A client that went away is logged at debug; a 4xx
 * at debug (it is the caller's fault and answered); a 5xx at error, with the cause's message.
 */
export function httpErrorHandler(log: Logger): ErrorHandler {
  return (err, c) => {
    const path = new URL(c.req.url).pathname;
    if (isClientAbort(err, c)) {
      log.debug({ path, method: c.req.method, err: (err as Error)?.message }, 'client went away mid-request');
      return c.body(null, 499 as ContentfulStatusCode);
    }
    const h = toHttpError(err);
    if (h.code === 'unavailable') {
      // a 503 says when to come back (RFC 9110 §10.2.3); the add-on and load balancers honour it
      log.warn({ path, method: c.req.method, err: (err as Error)?.message }, 'queue unavailable: answered 503');
      c.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
    } else if (h.status >= 500) log.error({ path, method: c.req.method, err: (err as Error)?.message }, 'request failed');
    else log.debug({ path, method: c.req.method, status: h.status, code: h.code, field: h.field }, 'request refused');
    return c.json(h.body(), h.status);
  };
}
