/**
 * The job lifecycle (docs/design.md §4, §6): the backend contract (types.ts), its SQLite
 * implementation (the embedded default), the one retry decision (retry.ts) and lanes.
 */
import type Database from 'better-sqlite3';
import { SqliteJobBackend, type SqliteJobBackendOptions } from './sqlite.js';
import type { JobBackend } from './types.js';

export type {
  EnqueueResult,
  JobAdmin,
  JobBackend,
  JobConsumer,
  JobFilter,
  JobPage,
  JobProducer,
  JobStats,
  LanePause,
  Lease,
  NewJob,
  RetryDecision,
} from './types.js';
export { SqliteJobBackend, type SqliteJobBackendOptions } from './sqlite.js';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './backendCommon.js';
export { QueueError, isQueueError, type QueueErrorCode } from './errors.js';
export { idempotencyKey, newJobId, type IdempotencyParts } from './ids.js';
export { migrate, type MigrationStep } from './migrate.js';
export { decideRetry, decidingError, manualRetryRefusal, type AttemptError, type RetryContext, type RetryVerdict } from './retry.js';
export { laneOf } from './lanes.js';
export type {
  FactsOptions,
  FailureCategory,
  LanePause as LanePauseFact,
  QueueFacts,
  QueueGaugeSnapshot,
  QueueReadModel,
  SourceCounts,
  TrendBucket,
} from './readModel.js';

/** SQLite settings. `path` is a SQLite file (e.g. `${ARCHIVER_DATA}/queue.db`) or an open handle to share. */
export interface SqliteBackendConfig extends SqliteJobBackendOptions {
  kind: 'sqlite';
  path: string | Database.Database;
}

/** Every backend kind's settings (the integrator adds `bullmq`). */
export type JobBackendConfig = SqliteBackendConfig;

/**
 * Opens the configured backend.
 * @throws Error when the store cannot be opened (bad path, newer schema).
 */
export function createJobBackend(config: SqliteBackendConfig): SqliteJobBackend;
export function createJobBackend(config: JobBackendConfig): JobBackend;
export function createJobBackend(config: JobBackendConfig): JobBackend {
  switch (config.kind) {
    case 'sqlite': {
      const { kind: _kind, path, ...options } = config;
      return new SqliteJobBackend(path, options);
    }
  }
}
