/**
 * Status write-back backends (design §1). Import `./csv.js` directly where googleapis is not
 * needed (the CLI's `run`): this index loads the Google client too.
 */
export type { OutboxEntry, SheetBackend, StatusOutbox, StatusUpdate, UpdateOutcome } from './types.js';
export { CsvSheetBackend, readCsvSheet, resetRows, trackingCells, type CsvLockOptions, type CsvSheet, type ResetResult } from './csv.js';
export {
  GoogleSheetsBackend,
  SHEETS_SCOPE,
  accessTokenAuth,
  classifyApiError,
  parseRetryAfter,
  serviceAccountAuth,
  type ApiErrorClass,
  type GoogleSheetsBackendOptions,
  type SheetsAuth,
  type SheetsRetryOptions,
} from './google.js';
export { NO_CREDENTIALS_REASON, OffSheetBackend } from './off.js';

import type { Logger } from '../log.js';
import { GoogleSheetsBackend, accessTokenAuth, serviceAccountAuth } from './google.js';
import { OffSheetBackend } from './off.js';

/**
 * The backend `serve` uses: Google Sheets when credentials are configured, else write-back off.
 * @param opts.credentialsFile a service account key file (default env GOOGLE_APPLICATION_CREDENTIALS);
 *   @param opts.accessToken a fixed OAuth access token instead (tests, demos);
 *   @param opts.rootUrl the Sheets API root (tests: the stand-in).
 */
export function sheetBackendFor(opts: { credentialsFile?: string; accessToken?: string; rootUrl?: string; logger?: Logger } = {}): GoogleSheetsBackend | OffSheetBackend {
  const keyFile = opts.credentialsFile ?? process.env['GOOGLE_APPLICATION_CREDENTIALS'];
  if (opts.accessToken) return new GoogleSheetsBackend({ auth: accessTokenAuth(opts.accessToken), ...pick(opts) });
  if (keyFile) return new GoogleSheetsBackend({ auth: serviceAccountAuth(keyFile), ...pick(opts) });
  return new OffSheetBackend();
}

function pick(opts: { rootUrl?: string; logger?: Logger }): { rootUrl?: string; logger?: Logger } {
  return { ...(opts.rootUrl ? { rootUrl: opts.rootUrl } : {}), ...(opts.logger ? { logger: opts.logger } : {}) };
}
