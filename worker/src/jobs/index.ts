/**
 * The job queue: the interface (types.ts) and its implementations. The embedded default is
 * SQLite; a BullMQ/Redis kind follows in a later issue.
 */
import type Database from 'better-sqlite3';
import { SqliteQueue, type SqliteQueueOptions } from './sqlite.js';
import type { JobQueue } from './types.js';

export type { JobFilter, JobQueue, JobStats, Lease, NewJob } from './types.js';
export { SqliteQueue, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type SqliteQueueOptions } from './sqlite.js';
export { QueueError, isQueueError, type QueueErrorCode } from './errors.js';
export { idempotencyKey, newJobId, type IdempotencyParts } from './ids.js';
export { migrate, type MigrationStep } from './migrate.js';

/** Queue settings. `path` is a SQLite file (e.g. `${ARCHIVER_DATA}/queue.db`) or an open handle to share. */
export interface SqliteQueueConfig extends SqliteQueueOptions {
  kind: 'sqlite';
  path: string | Database.Database;
}

export type QueueConfig = SqliteQueueConfig;

/**
 * Opens the configured queue.
 * @throws Error when the store cannot be opened (bad path, newer schema).
 */
export function createQueue(config: SqliteQueueConfig): SqliteQueue;
export function createQueue(config: QueueConfig): JobQueue;
export function createQueue(config: QueueConfig): JobQueue {
  switch (config.kind) {
    case 'sqlite': {
      const { kind: _kind, path, ...options } = config;
      return new SqliteQueue(path, options);
    }
  }
}
