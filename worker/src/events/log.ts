/**
 * The durable event log (docs/design.md §9): the `events` table in the queue's SQLite file
 * (`ARCHIVER_DATA/queue.db`, component `events` in schema_versions). Bounded: an event is kept
 * while it is younger than `maxAgeMs` (24 h) OR among the newest `keepCount` (10,000), so a
 * client that reconnects with Last-Event-ID after a day or a burst still finds what it missed.
 *
 * `id` is INTEGER PRIMARY KEY AUTOINCREMENT: strictly increasing and never reused, even after
 * the newest rows were pruned, so an SSE id always means one event.
 */
import type Database from 'better-sqlite3';
import type { SourceName } from '../../../shared/columns.js';
import { migrate, type MigrationStep } from '../jobs/migrate.js';
import { promised } from '../promised.js';
import type { ArchiverEvent, EventFilter, EventType, NewEvent } from './types.js';

export const EVENTS_COMPONENT = 'events';

export const EVENTS_MIGRATIONS: readonly MigrationStep[] = [
  // v1
  (db) => {
    db.exec(`
      CREATE TABLE events (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        type           TEXT    NOT NULL,
        at             INTEGER NOT NULL,          -- ms since epoch
        job_id         TEXT,
        row_id         TEXT,
        spreadsheet_id TEXT,
        source         TEXT,
        data           TEXT    NOT NULL           -- JSON object
      );
      CREATE INDEX events_at ON events (at);
      CREATE INDEX events_job ON events (job_id, id);
      CREATE INDEX events_row ON events (row_id, id);
    `);
  },
];

export const DEFAULT_MAX_AGE_MS = 24 * 3600_000;
export const DEFAULT_KEEP_COUNT = 10_000;

export interface EventLogOptions {
  /** clock, ms since epoch; default Date.now */
  now?: () => number;
  /** keep events younger than this, ms (default 24 h) */
  maxAgeMs?: number;
  /** keep at least this many newest events (default 10,000) */
  keepCount?: number;
  /** prune after this many appends (default 500); prune() can be called any time */
  pruneEvery?: number;
}

interface Row {
  id: number;
  type: EventType;
  at: number;
  job_id: string | null;
  row_id: string | null;
  spreadsheet_id: string | null;
  source: SourceName | null;
  data: string;
}

const toEvent = (r: Row): ArchiverEvent => ({
  id: r.id,
  type: r.type,
  at: new Date(r.at).toISOString(),
  jobId: r.job_id,
  rowId: r.row_id,
  spreadsheetId: r.spreadsheet_id,
  source: r.source,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

/**
 * The event log behind one asynchronous interface, so that a shared store fits: the SQLite one
 * (this file, the embedded default; `sqliteEventLog()` wraps it) and the Redis Stream one every
 * worker shares with REDIS_URL (events/redisLog.ts). Ids are numbers that only increase: the SSE
 * `id`, resumed with Last-Event-ID.
 */
export interface EventLog {
  /** Stores an event; durable when the promise resolves. @returns it with its id and time */
  append(e: NewEvent): Promise<ArchiverEvent>;
  /** Events with id > afterId matching the filter, oldest first, at most `limit` (default 500). */
  since(afterId: number, filter?: EventFilter, limit?: number): Promise<ArchiverEvent[]>;
  /** The newest id given so far (0 when none). */
  lastId(): Promise<number>;
  /** Events stored now. */
  count(): Promise<number>;
}

/** A log every worker writes to: besides the EventLog, a live tail of everyone's events (events/redisLog.ts). */
export interface SharedEventLog extends EventLog {
  /** Events appended after `afterId` by any worker, as they come, until `signal` aborts. */
  follow(afterId: number, signal: AbortSignal): AsyncIterable<ArchiverEvent>;
}

/** The SQLite log seen through the shared interface (each call is synchronous underneath). */
export function sqliteEventLog(log: SqliteEventLog): EventLog {
  return {
    append: (e) => promised(() => log.append(e)),
    since: (afterId, filter, limit) => promised(() => log.since(afterId, filter, limit)),
    lastId: () => promised(() => log.lastId()),
    count: () => promised(() => log.count()),
  };
}

export class SqliteEventLog {
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly keepCount: number;
  private readonly pruneEvery: number;
  private sinceprune = 0;
  private readonly ins: Database.Statement;
  private readonly pruneStmt: Database.Statement;

  /**
   * @param db an open better-sqlite3 handle (the queue's: SqliteJobBackend.db, which sets WAL and
   *   synchronous=FULL); the caller owns and closes it.
   * @throws Error when the file's `events` schema is newer than this code.
   */
  constructor(
    readonly db: Database.Database,
    opts: EventLogOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.keepCount = Math.max(1, Math.floor(opts.keepCount ?? DEFAULT_KEEP_COUNT));
    this.pruneEvery = Math.max(1, opts.pruneEvery ?? 500);
    migrate(db, EVENTS_COMPONENT, EVENTS_MIGRATIONS);
    this.ins = db.prepare(
      'INSERT INTO events (type, at, job_id, row_id, spreadsheet_id, source, data) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
    );
    // old AND outside the newest keepCount; with fewer rows the subquery is NULL and nothing goes
    this.pruneStmt = db.prepare('DELETE FROM events WHERE at < ? AND id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)');
    this.prune();
  }

  /**
   * Stores an event; durable when this returns (one committed statement on the queue's
   * synchronous=FULL database).
   * @returns the event with its id and time.
   */
  append(e: NewEvent): ArchiverEvent {
    const at = this.now();
    const { id } = this.ins.get(e.type, at, e.jobId, e.rowId, e.spreadsheetId, e.source, JSON.stringify(e.data)) as { id: number };
    if (++this.sinceprune >= this.pruneEvery) this.prune();
    return { ...e, id, at: new Date(at).toISOString() };
  }

  /**
   * Deletes events older than maxAgeMs that are not among the newest keepCount.
   * @returns how many were deleted.
   */
  prune(): number {
    this.sinceprune = 0;
    return this.pruneStmt.run(this.now() - this.maxAgeMs, this.keepCount).changes;
  }

  /**
   * Events with id > `afterId` that match the filter, oldest first.
   * @param limit at most this many (default 500).
   */
  since(afterId: number, filter: EventFilter = {}, limit = 500): ArchiverEvent[] {
    const where = ['id > ?'];
    const params: (string | number)[] = [afterId];
    for (const [column, value] of [
      ['job_id', filter.jobId],
      ['row_id', filter.rowId],
      ['spreadsheet_id', filter.spreadsheetId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(...params, Math.max(0, Math.floor(limit))) as Row[]).map(toEvent);
  }

  /** The newest id given so far (0 when none): a live-only reader starts after it. */
  lastId(): number {
    const r = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return r?.seq ?? 0;
  }

  /** Events stored now. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }
}
