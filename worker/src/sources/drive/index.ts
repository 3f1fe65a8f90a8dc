/**
 * The Drive source (issue 4): `createDriveSource` for the worker, `checkDriveAccess` for
 * `sheet-archiver doctor`.
 */
export { createDriveSource, type EntryRecord } from './source.js';
export { checkDriveAccess, type DriveAccessReport } from './access.js';
export { createDriveApi, DRIVE_READONLY_SCOPE } from './client.js';
export { mapDriveError } from './errors.js';
export { exportTargets } from './export.js';
export {
  DEFAULT_EXPORT_FORMATS,
  EXPORT_MIME_TYPES,
  DEFAULTS as DRIVE_DEFAULTS,
  type DriveAuth,
  type DriveSourceOptions,
  type ExportFormats,
  type NativeKind,
} from './types.js';
