/**
 * A client for the worker's signed API (design §3), for tests, benchmarks and the demo.
 */
import { signRequest } from '../../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../../shared/signature.js';

export interface SignedClient {
  /** Signs and sends; returns status and parsed JSON (or text). */
  request(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    opts?: { t?: number; rawBody?: string; secret?: string },
  ): Promise<{ status: number; body: any }>;
}

/** @param baseUrl e.g. http://127.0.0.1:8080 */
export function signedClient(baseUrl: string, secret: string): SignedClient {
  return {
    async request(method, pathAndQuery, body, opts = {}) {
      const raw = opts.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
      const headers: Record<string, string> = { [SIGNATURE_HEADER]: signRequest(opts.secret ?? secret, method, pathAndQuery, raw, opts.t) };
      if (raw) headers['content-type'] = 'application/json';
      const res = await fetch(baseUrl + pathAndQuery, { method, headers, body: raw || undefined });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
  };
}

/** A valid dispatch body (design §3) for `rows` rows, each with one YouTube link. */
export function dispatchBody(
  rows: { rowId: string; youtube?: string[]; drive?: string[]; rowNumber?: number; type?: string; attempt?: number }[],
  extra: Record<string, unknown> = {},
) {
  return {
    dispatchId: crypto.randomUUID(),
    spreadsheetId: 'sheet-1',
    sheetId: 0,
    sheetName: 'People',
    rows: rows.map((r, i) => ({
      rowId: r.rowId,
      rowNumber: r.rowNumber ?? i + 2,
      name: `Person ${r.rowId}`,
      email: `p${r.rowId}@example.org`,
      type: r.type ?? 'FF-Fi/Se-CP/B(S) #4',
      youtube: r.youtube ?? [],
      drive: r.drive ?? [],
      attempt: r.attempt ?? 1,
    })),
    options: { sources: ['youtube', 'drive'], transcriptOnly: false, maxHeight: 1080, retry: 'auto' },
    ...extra,
  };
}
