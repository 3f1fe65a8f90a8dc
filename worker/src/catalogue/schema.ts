/**
 * The catalogue's tables (docs/design.md §8) as Kysely types: people, assets, sessions, plus the
 * journal that keeps metadata.json and the catalogue in step (metadata_intents) and the migration
 * record. Text columns hold ISO 8601 UTC times and JSON, so one schema serves SQLite and PostgreSQL.
 */
import type { SourceName } from '../../../shared/columns.js';

/** What kind of file an asset is (docs/design.md §8). */
export const ASSET_KINDS = [
  'video',
  'audio',
  'subtitles',
  'transcript',
  'info',
  'thumbnail',
  'comments',
  'document',
  'export',
  'metadata',
] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const ASSET_STATUSES = ['stored', 'deleted'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

/** One person: one (spreadsheet id, row_id). */
export interface PeopleTable {
  /** `p_` + 24 hex of SHA-256(spreadsheet id, row_id): the same in a rebuilt catalogue */
  person_id: string;
  spreadsheet_id: string;
  row_id: string;
  name: string;
  email: string;
  /** the row's type label, as the sheet has it; never altered */
  type: string;
  sheet_id: number | null;
  sheet_name: string;
  /** 1-based sheet row, a hint (import only) */
  row_number: number | null;
  /** JSON `[{ "column": "link", "url": "https://…" }]` from `catalogue import` */
  links: string;
  /** lower-case name, email and row_id, for `q=` */
  search: string;
  /** when the facts above were recorded (the newest archivedAt, or the import time); older facts never overwrite newer */
  facts_at: string;
  created_at: string;
  updated_at: string;
}

/** One stored file. */
export interface AssetsTable {
  /** `a_` + 24 hex of SHA-256(object key) */
  asset_id: string;
  person_id: string;
  spreadsheet_id: string;
  row_id: string;
  source: SourceName;
  kind: AssetKind;
  media_id: string;
  /** the link the media came from, as it was in the sheet */
  link: string;
  object_key: string;
  /** the media folder's metadata.json key */
  metadata_key: string;
  /** `s3://bucket/key` or a `file://` URL */
  storage_url: string;
  file_name: string;
  /** bytes (bigint on PostgreSQL: read through Number) */
  size: number | string;
  sha256: string;
  md5: string | null;
  /** Drive headRevisionId or modifiedTime */
  revision: string | null;
  status: AssetStatus;
  /** JSON array of strings; user-editable */
  tags: string;
  /** user-editable */
  note: string;
  title: string | null;
  uploader: string | null;
  /** seconds */
  duration: number | null;
  /** JSON: title, duration, uploader, chapters and a few source facts */
  media: string;
  /** lower-case title, uploader and file name, for `q=` */
  search: string;
  archived_at: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** A metadata.json write in flight: written before the put, removed with the catalogue update (sink.ts). */
export interface MetadataIntentsTable {
  metadata_key: string;
  /** SHA-256 of the metadata.json text being written */
  sha256: string;
  created_at: string;
}

/** One dispatch or `run`. */
export interface SessionsTable {
  /** the dispatchId */
  session_id: string;
  kind: 'dispatch' | 'run';
  spreadsheet_id: string;
  sheet_name: string;
  /** JSON: the options and what was asked for */
  request: string;
  created_at: string;
  updated_at: string;
}

/** The latest status of each job of a session; counts by outcome are grouped from it. */
export interface SessionJobsTable {
  job_id: string;
  session_id: string;
  row_id: string;
  source: SourceName;
  status: string;
  updated_at: string;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

/** A hard erase of one person (catalogue/erase.ts): written before step 1, advanced after each step. */
export interface ErasuresTable {
  erase_id: string;
  person_id: string;
  spreadsheet_id: string;
  row_id: string;
  /** the last step done: 0 none, 1 jobs cancelled, 2 objects deleted, 3 catalogue rows deleted, 4 sheet cells cleared */
  step: number;
  /** JSON: what step 4 needs once the person row is gone (sheet id and name, type, row number) */
  row: string;
  /** objects and bytes the erase found to delete */
  files: number;
  bytes: string;
  /** the download_errors note, e.g. `erased on 2026-12-02` */
  note: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface CatalogueDatabase {
  people: PeopleTable;
  assets: AssetsTable;
  metadata_intents: MetadataIntentsTable;
  sessions: SessionsTable;
  session_jobs: SessionJobsTable;
  catalogue_migrations: MigrationsTable;
  erasures: ErasuresTable;
}
