/**
 * Shared types and constants of the Drive source: options, MIME types, export formats.
 */
import type { Auth, drive_v3 } from 'googleapis';

/** What googleapis accepts as `auth`: a service-account GoogleAuth/JWT, or any OAuth2Client. */
export type DriveAuth = Auth.GoogleAuth | Auth.OAuth2Client;

/** A Drive v3 files resource (https://developers.google.com/drive/api/reference/rest/v3/files). */
export type DriveFile = drive_v3.Schema$File;

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
/** Every Google-native (Workspace) type starts with this. */
export const NATIVE_PREFIX = 'application/vnd.google-apps.';

/** The Google-native types that export to files. */
export type NativeKind = 'document' | 'spreadsheet' | 'presentation' | 'drawing';

export const NATIVE_KINDS: Readonly<Record<string, NativeKind>> = {
  'application/vnd.google-apps.document': 'document',
  'application/vnd.google-apps.spreadsheet': 'spreadsheet',
  'application/vnd.google-apps.presentation': 'presentation',
  'application/vnd.google-apps.drawing': 'drawing',
};

/**
 * File extension → export MIME type, as listed in "Export MIME types for Google Workspace
 * documents" (https://developers.google.com/drive/api/guides/ref-export-formats).
 */
export const EXPORT_MIME_TYPES: Readonly<Record<string, string>> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  pdf: 'application/pdf',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/x-vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  rtf: 'application/rtf',
  txt: 'text/plain',
  md: 'text/markdown',
  epub: 'application/epub+zip',
  zip: 'application/zip',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  png: 'image/png',
  jpg: 'image/jpeg',
  svg: 'image/svg+xml',
};

/**
 * Export formats per native kind: extensions from EXPORT_MIME_TYPES (`docx`) or MIME types given
 * as `ext=mime/type` for anything else. Unlisted kinds keep their defaults.
 */
export type ExportFormats = Partial<Record<NativeKind, readonly string[]>>;

/** Defaults (issue 4): Docs → docx + pdf, Sheets → xlsx + pdf, Slides → pptx + pdf; Drawings → png + pdf. */
export const DEFAULT_EXPORT_FORMATS: Readonly<Record<NativeKind, readonly string[]>> = {
  document: ['docx', 'pdf'],
  spreadsheet: ['xlsx', 'pdf'],
  presentation: ['pptx', 'pdf'],
  drawing: ['png', 'pdf'],
};

/** The file fields every metadata call asks for (files.get and files.list `files(…)`). */
export const FILE_FIELDS =
  'id,name,mimeType,size,md5Checksum,resourceKey,parents,trashed,modifiedTime,version,driveId,' +
  'capabilities(canDownload,canListChildren),shortcutDetails,exportLinks';

export interface DriveSourceOptions {
  /**
   * The Drive credentials (service account, optionally with domain-wide delegation), or null to
   * use only the public download flow ("anyone with the link" files).
   */
  auth: DriveAuth | null;
  /** googleapis `rootUrl`; default https://www.googleapis.com/ (tests: the stand-in) */
  rootUrl?: string;
  /** public download host; default https://drive.usercontent.google.com (tests: the stand-in) */
  publicDownloadBaseUrl?: string;
  /** export formats per native kind; default DEFAULT_EXPORT_FORMATS */
  exportFormats?: ExportFormats;
  /** send acknowledgeAbuse=true on downloads (files flagged as malware/spam); default false */
  acknowledgeAbuse?: boolean;
  /** most Drive items one folder link may archive; default 5000 */
  maxFiles?: number;
  /** most bytes one folder link may archive (sizes Drive reports); default 50 GiB */
  maxBytes?: number;
  /** files downloaded at once within a folder; default 8 */
  concurrency?: number;
  /** domain-wide delegation: the user to impersonate (set on a JWT/GoogleAuth client) */
  subject?: string;
  /** try the public download flow when the API cannot see a file; default true */
  publicFallback?: boolean;
  /** resumes after dropped connections per file; default 5 */
  maxResumes?: number;
  /** abort and resume a download that received nothing for this long, ms; default 60 000 */
  stallTimeoutMs?: number;
  /**
   * How the error messages of the max-files / max-bytes guards tell people to raise the limit,
   * e.g. `{ maxFiles: 'DRIVE_MAX_FILES', maxBytes: 'DRIVE_MAX_BYTES' }`; defaults name the options.
   */
  limitNames?: { maxFiles?: string; maxBytes?: string };
  /** called when each Drive API call settles: method (`files.get`) and outcome (`ok`, `aborted` or a design §4 category) (metrics) */
  onApiCall?: (method: string, outcome: string) => void;
}

export const DEFAULTS = {
  rootUrl: 'https://www.googleapis.com/',
  publicDownloadBaseUrl: 'https://drive.usercontent.google.com',
  maxFiles: 5000,
  maxBytes: 50 * 1024 ** 3,
  concurrency: 8,
  maxResumes: 5,
  stallTimeoutMs: 60_000,
} as const;
