/**
 * The durable status outbox (design §6: an accepted status update is never lost): pending sheet
 * updates in the `status_outbox` table of the queue's SQLite file, coalesced per
 * (spreadsheet, sheet, row, source) so that a burst of status changes for one job sends only its
 * latest state.
 *
 * Replacing an entry gives it a new id (AUTOINCREMENT: never reused), keeping its first push
 * time, tries and backoff. So `ack` can delete by id: an entry replaced while its old version was
 * being sent keeps the newer fields and is sent next.
 */
import type Database from 'better-sqlite3';
import { promised } from '../promised.js';
import type { OutboxEntry, StatusOutbox, StatusUpdate } from '../sheets/types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS status_outbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  coalesce_key TEXT NOT NULL UNIQUE,
  update_json TEXT NOT NULL,
  tries       INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  not_before  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS status_outbox_ready ON status_outbox (not_before, created_at, id);
`;

interface Row {
  id: number;
  coalesce_key: string;
  update_json: string;
  tries: number;
  created_at: number;
  not_before: number;
}

/** The coalescing key: one entry per (spreadsheet, sheet, row, source). */
export function outboxKey(u: Pick<StatusUpdate, 'spreadsheetId' | 'sheetId' | 'rowId' | 'source'>): string {
  return JSON.stringify([u.spreadsheetId, u.sheetId, u.rowId, u.source]);
}

/**
 * A newer update over an older one for the same key: the newer one's defined fields win
 * (`error: null` is defined: it clears the line; `undefined` keeps the older value). An older
 * `erased` is dropped by a newer update that has none.
 */
export function mergeUpdates(older: StatusUpdate, newer: StatusUpdate): StatusUpdate {
  const out: Record<string, unknown> = { ...older };
  for (const [k, v] of Object.entries(newer)) if (v !== undefined) out[k] = v;
  // an erase is a whole state, not fields: a newer update without it (a new archive) replaces it
  if (newer.erased === undefined) delete out['erased'];
  return out as unknown as StatusUpdate;
}

export interface SqliteOutboxOptions {
  /** clock, ms since epoch; default Date.now */
  now?: () => number;
}

export class SqliteOutbox implements StatusOutbox {
  private readonly now: () => number;
  private readonly sel: Database.Statement<[string], Row>;
  private readonly ins: Database.Statement<[string, string, number, number, number]>;
  private readonly del: Database.Statement<[number]>;
  private readonly peekStmt: Database.Statement<[number, number], Row>;
  private readonly deferStmt: Database.Statement<[number, number]>;
  private readonly countStmt: Database.Statement<[], { n: number }>;
  private readonly pushTx: Database.Transaction<(u: StatusUpdate) => void>;
  private readonly ackTx: Database.Transaction<(ids: number[]) => void>;
  private readonly deferTx: Database.Transaction<(ids: number[], notBefore: number) => void>;

  /**
   * @param db an open better-sqlite3 handle (the queue's: SqliteJobBackend.db); the table
   *   `status_outbox` is created if missing. The caller owns and closes the handle.
   */
  constructor(
    readonly db: Database.Database,
    opts: SqliteOutboxOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    db.exec(SCHEMA);
    this.sel = db.prepare('SELECT * FROM status_outbox WHERE coalesce_key = ?');
    this.ins = db.prepare('INSERT INTO status_outbox (coalesce_key, update_json, tries, created_at, not_before) VALUES (?, ?, ?, ?, ?)');
    this.del = db.prepare('DELETE FROM status_outbox WHERE id = ?');
    this.peekStmt = db.prepare('SELECT * FROM status_outbox WHERE not_before <= ? ORDER BY created_at, id LIMIT ?');
    this.deferStmt = db.prepare('UPDATE status_outbox SET tries = tries + 1, not_before = ? WHERE id = ?');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM status_outbox');
    this.pushTx = db.transaction((u: StatusUpdate) => {
      const key = outboxKey(u);
      const old = this.sel.get(key);
      if (old) {
        this.del.run(old.id);
        const merged = mergeUpdates(JSON.parse(old.update_json) as StatusUpdate, u);
        this.ins.run(key, JSON.stringify(merged), old.tries, old.created_at, old.not_before);
      } else {
        this.ins.run(key, JSON.stringify(u), 0, this.now(), 0);
      }
    });
    this.ackTx = db.transaction((ids: number[]) => {
      for (const id of ids) this.del.run(id);
    });
    this.deferTx = db.transaction((ids: number[], notBefore: number) => {
      for (const id of ids) this.deferStmt.run(notBefore, id);
    });
  }

  /**
   * Stores an update, merging it into a pending one for the same (spreadsheet, sheet, row, source).
   * Committed before the call returns (the promise only carries the outcome).
   */
  push(update: StatusUpdate): Promise<void> {
    return promised(() => this.pushTx.immediate(update));
  }

  /**
   * Entries whose backoff has passed, oldest first push first.
   * @param limit at most this many; @param now ms since epoch (default the clock).
   */
  peek(limit: number, now: number = this.now()): Promise<OutboxEntry[]> {
    return promised(() =>
      this.peekStmt.all(now, Math.max(0, Math.floor(limit))).map((r) => ({
        id: r.id,
        update: JSON.parse(r.update_json) as StatusUpdate,
        tries: r.tries,
        createdAt: r.created_at,
      })),
    );
  }

  /** Removes delivered entries by id; an entry replaced by a newer push since peek has a new id and stays. */
  ack(entries: OutboxEntry[]): Promise<void> {
    return promised(() => {
      if (entries.length) this.ackTx.immediate(entries.map((e) => e.id));
    });
  }

  /** Counts a failed try and hides the entries for `delayMs` (ms). Replaced entries are not affected. */
  defer(entries: OutboxEntry[], delayMs: number): Promise<void> {
    return promised(() => {
      if (entries.length)
        this.deferTx.immediate(
          entries.map((e) => e.id),
          this.now() + Math.max(0, delayMs),
        );
    });
  }

  /** Nothing to give back: one process drains this outbox, so peek claims nothing. */
  release(_entries: OutboxEntry[]): Promise<void> {
    return Promise.resolve();
  }

  /** Pending entries, ready or waiting. */
  size(): Promise<number> {
    return promised(() => this.countStmt.get()!.n);
  }
}
