/**
 * The Drive source's settings: its options with the defaults filled in, and the Drive client,
 * made once per source and read by every step of archiving a link.
 */
import type { drive_v3 } from 'googleapis';
import { createDriveApi } from './client.js';
import { instrumentDrive } from './instrument.js';
import { DEFAULTS, type DriveSourceOptions } from './types.js';

/** The options with defaults applied (see DriveSourceOptions for each). */
export interface DriveSettings {
  /** null without credentials: public files only */
  drive: drive_v3.Drive | null;
  opts: DriveSourceOptions;
  maxFiles: number;
  maxBytes: number;
  concurrency: number;
  maxResumes: number;
  stallTimeoutMs: number;
  publicBase: string;
  /** origins that may receive the credentials (exportLinks): the API's own */
  trustedOrigins: string[];
  limitNames: { maxFiles: string; maxBytes: string };
}

/** Fills in the defaults of `opts` and makes the Drive client (none when `opts.auth` is null). */
export function resolveSettings(opts: DriveSourceOptions): DriveSettings {
  const rootUrl = opts.rootUrl ?? DEFAULTS.rootUrl;
  const api = opts.auth ? createDriveApi(opts.auth, opts.rootUrl) : null;
  return {
    drive: api && opts.onApiCall ? instrumentDrive(api, opts.onApiCall) : api,
    opts,
    maxFiles: opts.maxFiles ?? DEFAULTS.maxFiles,
    maxBytes: opts.maxBytes ?? DEFAULTS.maxBytes,
    concurrency: Math.max(1, opts.concurrency ?? DEFAULTS.concurrency),
    maxResumes: opts.maxResumes ?? DEFAULTS.maxResumes,
    stallTimeoutMs: opts.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
    publicBase: opts.publicDownloadBaseUrl ?? DEFAULTS.publicDownloadBaseUrl,
    trustedOrigins: [new URL(rootUrl).origin],
    limitNames: {
      maxFiles: opts.limitNames?.maxFiles ?? 'the Drive maxFiles option',
      maxBytes: opts.limitNames?.maxBytes ?? 'the Drive maxBytes option',
    },
  };
}
