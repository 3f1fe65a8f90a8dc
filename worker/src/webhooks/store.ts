/**
 * The durable webhook outbox (docs/design.md §9): tables in the queue's SQLite file (component
 * `webhooks` in schema_versions). Fan-out reads the event log after a stored cursor and writes
 * one delivery row per (event, endpoint whose filter takes it) in the same transaction that moves
 * the cursor, so an event stored before a crash is fanned out after it, and never twice.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SqliteEventLog } from '../events/log.js';
import { migrate, type MigrationStep } from '../jobs/migrate.js';
import { configFingerprint, wants, type WebhookEndpoint } from './endpoints.js';

export const WEBHOOKS_COMPONENT = 'webhooks';

export const WEBHOOKS_MIGRATIONS: readonly MigrationStep[] = [
  // v1
  (db) => {
    db.exec(`
      CREATE TABLE webhook_endpoints (
        id              TEXT PRIMARY KEY,
        url             TEXT NOT NULL,
        events          TEXT,                        -- JSON array or NULL (every event)
        disabled_at     INTEGER,                     -- ms; set by a 410
        disabled_reason TEXT
      );
      CREATE TABLE webhook_state (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE webhook_deliveries (
        id          TEXT PRIMARY KEY,                -- X-Archiver-Delivery
        endpoint_id TEXT NOT NULL,
        event_id    INTEGER NOT NULL,
        event_type  TEXT NOT NULL,
        body        TEXT NOT NULL,                   -- the event JSON, sent as is on every attempt
        status      TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | dead
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        next_at     INTEGER NOT NULL,
        last_status INTEGER,
        last_error  TEXT,
        done_at     INTEGER,
        UNIQUE (endpoint_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
    `);
  },
];

/** One delivery row. */
export interface Delivery {
  id: string;
  endpointId: string;
  eventId: number;
  eventType: string;
  body: string;
  attempts: number;
  createdAt: number;
}

/** An endpoint as listed: config plus persisted state and backlog. */
export interface EndpointState extends WebhookEndpoint {
  disabledAt: number | null;
  disabledReason: string | null;
  pending: number;
  delivered: number;
  dead: number;
  lastError: string | null;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  body: string;
  attempts: number;
  created_at: number;
}

export class WebhookStore {
  private readonly now: () => number;

  /**
   * @param db the queue's handle (SqliteJobBackend.db); the caller owns and closes it.
   * @throws Error when the file's `webhooks` schema is newer than this code.
   */
  constructor(
    readonly db: Database.Database,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    migrate(db, WEBHOOKS_COMPONENT, WEBHOOKS_MIGRATIONS);
  }

  private getState(k: string): string | undefined {
    return (this.db.prepare('SELECT v FROM webhook_state WHERE k = ?').get(k) as { v: string } | undefined)?.v;
  }

  private setState(k: string, v: string): void {
    this.db.prepare('INSERT INTO webhook_state (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v').run(k, v);
  }

  /**
   * Records the configured endpoints. A changed endpoint list (its fingerprint) enables every
   * endpoint a 410 disabled. With no cursor yet (or no endpoints), fan-out starts after the
   * newest event: webhooks deliver what happens from now on, not the log's history.
   * @returns ids of endpoints enabled again by the change.
   */
  sync(endpoints: readonly WebhookEndpoint[], lastEventId: number): string[] {
    return this.db
      .transaction(() => {
        const fp = configFingerprint(endpoints);
        const changed = this.getState('config') !== fp;
        let reenabled: string[] = [];
        if (changed) {
          reenabled = (this.db.prepare('SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL').all() as { id: string }[]).map(
            (r) => r.id,
          );
          this.db.prepare('UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL').run();
          this.setState('config', fp);
        }
        const up = this.db.prepare(
          'INSERT INTO webhook_endpoints (id, url, events) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET url = excluded.url, events = excluded.events',
        );
        for (const e of endpoints) up.run(e.id, e.url, e.events ? JSON.stringify(e.events) : null);
        // an endpoint taken out of the list keeps its rows but sends nothing (back in the list: enabled again)
        const ids = endpoints.map((e) => e.id);
        this.db
          .prepare(
            `UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = 'not in ARCHIVER_WEBHOOK_URLS' WHERE disabled_at IS NULL AND id NOT IN (SELECT value FROM json_each(?))`,
          )
          .run(this.now(), JSON.stringify(ids));
        if (this.getState('cursor') === undefined || endpoints.length === 0) this.setState('cursor', String(lastEventId));
        return reenabled.filter((id) => endpoints.some((e) => e.id === id));
      })
      .immediate();
  }

  /**
   * Turns logged events after the cursor into deliveries for the enabled endpoints (batches of 500).
   * @returns deliveries created.
   */
  fanOut(log: SqliteEventLog, endpoints: readonly WebhookEndpoint[]): number {
    const ins = this.db.prepare(
      'INSERT OR IGNORE INTO webhook_deliveries (id, endpoint_id, event_id, event_type, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    let created = 0;
    for (;;) {
      const n = this.db
        .transaction(() => {
          const cursor = Number(this.getState('cursor') ?? log.lastId());
          const events = log.since(cursor, {}, 500);
          if (!events.length) return 0;
          const enabled = endpoints.filter((e) => !this.isDisabled(e.id));
          const now = this.now();
          for (const ev of events) {
            for (const ep of enabled)
              if (wants(ep, ev.type)) created += ins.run(`dl_${randomUUID()}`, ep.id, ev.id, ev.type, JSON.stringify(ev), now, now).changes;
          }
          this.setState('cursor', String(events[events.length - 1]!.id));
          return events.length;
        })
        .immediate();
      if (n < 500) return created;
    }
  }

  /** Whether a 410 disabled the endpoint. */
  isDisabled(endpointId: string): boolean {
    const r = this.db.prepare('SELECT disabled_at FROM webhook_endpoints WHERE id = ?').get(endpointId) as
      { disabled_at: number | null } | undefined;
    return r?.disabled_at != null;
  }

  /**
   * Claims pending deliveries whose time has come, for enabled endpoints, oldest first: each is
   * hidden for `leaseMs` (its next_at moves), so another worker on the same file does not send it
   * at the same time, and one whose sender died is sent again after the lease.
   */
  claimDue(limit: number, leaseMs: number, now = this.now()): Delivery[] {
    const rows = this.db
      .transaction(() => {
        const found = this.db
          .prepare(
            `SELECT d.* FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
           WHERE d.status = 'pending' AND d.next_at <= ? AND e.disabled_at IS NULL ORDER BY d.next_at, d.event_id LIMIT ?`,
          )
          .all(now, limit) as DeliveryRow[];
        const lease = this.db.prepare('UPDATE webhook_deliveries SET next_at = ? WHERE id = ?');
        for (const r of found) lease.run(now + leaseMs, r.id);
        return found;
      })
      .immediate();
    return rows.map((r) => ({
      id: r.id,
      endpointId: r.endpoint_id,
      eventId: r.event_id,
      eventType: r.event_type,
      body: r.body,
      attempts: r.attempts,
      createdAt: r.created_at,
    }));
  }

  /** When the next pending delivery of an enabled endpoint is due (ms), or null. */
  nextDueAt(): number | null {
    const r = this.db
      .prepare(
        "SELECT MIN(d.next_at) AS t FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' AND e.disabled_at IS NULL",
      )
      .get() as { t: number | null };
    return r.t;
  }

  /** A 2xx: the delivery is done. */
  delivered(id: string, status: number): void {
    this.db
      .prepare(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, done_at = ? WHERE id = ?",
      )
      .run(status, this.now(), id);
  }

  /** A failed attempt: try again at `nextAt`, or mark dead when `nextAt` is null. */
  failed(id: string, status: number, error: string, nextAt: number | null): void {
    if (nextAt === null) {
      this.db
        .prepare(
          "UPDATE webhook_deliveries SET status = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?, done_at = ? WHERE id = ?",
        )
        .run(status || null, error, this.now(), id);
    } else {
      this.db
        .prepare('UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, next_at = ? WHERE id = ?')
        .run(status || null, error, nextAt, id);
    }
  }

  /** A 410: the endpoint is disabled (its pending deliveries wait); the delivery that got it (`deliveryId`) stays pending. */
  disable(endpointId: string, reason: string, deliveryId?: string): void {
    this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ?')
          .run(this.now(), reason, endpointId);
        // its lease ends now: sent first once the endpoint is enabled again
        if (deliveryId) this.db.prepare('UPDATE webhook_deliveries SET next_at = ? WHERE id = ?').run(this.now(), deliveryId);
      })
      .immediate();
  }

  /**
   * Enables endpoints a 410 disabled (`webhooks enable`).
   * @param id one endpoint, or all when undefined. @returns how many were disabled.
   */
  enable(id?: string): number {
    // only what a 410 disabled: an endpoint out of the list stays off until it is listed again
    const sql =
      "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE disabled_reason LIKE '410%'" +
      (id ? ' AND id = ?' : '');
    return (id ? this.db.prepare(sql).run(id) : this.db.prepare(sql).run()).changes;
  }

  /** Each configured endpoint with its state and backlog. */
  list(endpoints: readonly WebhookEndpoint[]): EndpointState[] {
    const st = this.db.prepare('SELECT disabled_at, disabled_reason FROM webhook_endpoints WHERE id = ?');
    const counts = this.db.prepare('SELECT status, COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY status');
    const last = this.db.prepare(
      'SELECT last_error FROM webhook_deliveries WHERE endpoint_id = ? AND last_error IS NOT NULL ORDER BY rowid DESC LIMIT 1',
    );
    return endpoints.map((e) => {
      const s = st.get(e.id) as { disabled_at: number | null; disabled_reason: string | null } | undefined;
      const c = Object.fromEntries((counts.all(e.id) as { status: string; n: number }[]).map((r) => [r.status, r.n]));
      return {
        ...e,
        disabledAt: s?.disabled_at ?? null,
        disabledReason: s?.disabled_reason ?? null,
        pending: c['pending'] ?? 0,
        delivered: c['delivered'] ?? 0,
        dead: c['dead'] ?? 0,
        lastError: (last.get(e.id) as { last_error: string } | undefined)?.last_error ?? null,
      };
    });
  }

  /** Pending deliveries of enabled endpoints (the backlog). */
  backlog(): number {
    return (
      this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.status = 'pending' AND e.disabled_at IS NULL",
        )
        .get() as { n: number }
    ).n;
  }
}

/** Delivered and dead rows are kept this long for `webhooks list`, ms (7 days). */
export const FINISHED_KEEP_MS = 7 * 24 * 3600_000;

/** Deletes finished deliveries older than FINISHED_KEEP_MS. @returns how many. */
export function pruneFinished(store: WebhookStore, now = Date.now()): number {
  return store.db.prepare("DELETE FROM webhook_deliveries WHERE status != 'pending' AND done_at < ?").run(now - FINISHED_KEEP_MS).changes;
}
