/**
 * The `jobs` table of the SQLite queue and its migrations (component `jobs` in schema_versions).
 *
 * Times are ms since epoch (INTEGER). `ready_at` is the queue's one scheduling column: the time
 * from which lease() may take the job — enqueue time for queued jobs, next_run_at for retrying
 * ones, the lease expiry for leased ones (so a dead holder's job comes back by itself), NULL once
 * finished. One partial index on it makes lease() a single index seek.
 */
import type { MigrationStep } from './migrate.js';

export const JOBS_COMPONENT = 'jobs';

/** SQL list of the open statuses, for the partial unique index (must match OPEN_JOB_STATUSES). */
export const OPEN_STATUS_SQL = "('queued','downloading','uploading','retrying')";

export const JOBS_MIGRATIONS: readonly MigrationStep[] = [
  // v1
  (db) => {
    db.exec(`
      CREATE TABLE jobs (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id           TEXT    NOT NULL UNIQUE,
        dispatch_id      TEXT    NOT NULL,
        idempotency_key  TEXT    NOT NULL,
        spreadsheet_id   TEXT    NOT NULL,
        sheet_id         INTEGER NOT NULL,
        sheet_name       TEXT    NOT NULL,
        row_id           TEXT    NOT NULL,
        row_number       INTEGER NOT NULL,
        name             TEXT    NOT NULL,
        email            TEXT    NOT NULL,
        type             TEXT    NOT NULL,
        source           TEXT    NOT NULL CHECK (source IN ('youtube','drive')),
        links            TEXT    NOT NULL,            -- JSON string[]
        options          TEXT    NOT NULL,            -- JSON DispatchOptions
        status           TEXT    NOT NULL CHECK (status IN
                           ('queued','downloading','uploading','completed','failed','retrying','cancelled')),
        attempt          INTEGER NOT NULL CHECK (attempt >= 1),
        max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
        error            TEXT,                        -- JSON JobError
        files            TEXT    NOT NULL DEFAULT '[]',
        media_ids        TEXT    NOT NULL DEFAULT '[]',
        progress         TEXT,                        -- JSON JobProgress
        lease_owner      TEXT,
        lease_expires_at INTEGER,
        reclaims         INTEGER NOT NULL DEFAULT 0,  -- leases taken from an expired holder, this attempt
        ready_at         INTEGER,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        next_run_at      INTEGER
      );
      CREATE INDEX jobs_ready ON jobs (ready_at) WHERE ready_at IS NOT NULL;
      CREATE INDEX jobs_status ON jobs (status);
      CREATE INDEX jobs_row ON jobs (row_id);
      CREATE UNIQUE INDEX jobs_open_key ON jobs (idempotency_key) WHERE status IN ${OPEN_STATUS_SQL};
    `);
  },
  // v2: lanes (jobs/lanes.ts); jobs enqueued before have the empty lane, never paused
  (db) => {
    db.exec(`ALTER TABLE jobs ADD COLUMN lane TEXT NOT NULL DEFAULT ''`);
  },
  // v3: the row's archive_options (design §1), JSON RowArchiveOptions; NULL for rows without any
  (db) => {
    db.exec(`ALTER TABLE jobs ADD COLUMN archive_options TEXT`);
  },
  // v4: the job kind (shared/schemas.ts JOB_KINDS); every job before it downloaded, so 'archive'
  (db) => {
    db.exec(`ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'archive'`);
  },
  // v5: manual retries and handed-back jobs first (design §4: 0 automatic, 1 manual retry, 2 released
  // by a stopping worker); the sheet's refusal of a status write, kept apart from the job's own
  // error (JSON {status,error,at}); lane pauses shared by every process on the file.
  (db) => {
    db.exec(`
      ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE jobs ADD COLUMN write_back TEXT;
      CREATE INDEX jobs_first ON jobs (priority DESC, ready_at) WHERE priority > 0 AND ready_at IS NOT NULL;
      CREATE INDEX jobs_lane_leased ON jobs (lane) WHERE status IN ('downloading','uploading');
      CREATE TABLE lane_pauses (
        lane     TEXT    PRIMARY KEY,
        since_ms INTEGER NOT NULL,            -- when this pause began (extensions keep it)
        until_ms INTEGER NOT NULL,
        reason   TEXT    NOT NULL
      );
    `);
  },
];
