import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { silentLogger } from '../../worker/src/log.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { Reporter } from '../../worker/src/report/reporter.js';
import { OffSheetBackend } from '../../worker/src/sheets/off.js';
import type { SheetBackend, StatusUpdate, UpdateOutcome } from '../../worker/src/sheets/types.js';
import { upd } from '../support/statusUpdate.js';

class FakeBackend implements SheetBackend {
  readonly kind = 'google' as const;
  calls: StatusUpdate[][] = [];
  failNext = 0;
  retryAfterMs: number | undefined;
  refuse = new Set<string>();
  /** spreadsheets whose writes always fail (say, shared as Viewer only) */
  failFor = new Set<string>();
  async ensureColumns(): Promise<void> {}
  async apply(updates: StatusUpdate[]): Promise<UpdateOutcome[]> {
    this.calls.push(updates);
    if (updates.some((u) => this.failFor.has(u.spreadsheetId))) throw new ArchiveError('permission', 'The caller does not have permission');
    if (this.failNext > 0) {
      this.failNext--;
      throw new ArchiveError('rate_limit', 'HTTP 429', this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {});
    }
    return updates.map((u) =>
      this.refuse.has(u.rowId) ? { ok: false, category: 'data_corruption', message: 'type changed' } : { ok: true, rowNumber: 2 },
    );
  }
}

let db: Database.Database;
let now: number;
beforeEach(() => {
  db = new Database(':memory:');
  now = 1_000_000;
});
afterEach(() => db.close());

describe('Reporter', () => {
  it('sends everything ready in one apply per maxBatch', async () => {
    const b = new FakeBackend();
    const o = new SqliteOutbox(db);
    const r = new Reporter({ backend: b, outbox: o, maxBatch: 40, logger: silentLogger });
    for (let i = 0; i < 100; i++) r.push(upd(String(i)));
    await r.flush();
    expect(b.calls.map((c) => c.length)).toEqual([40, 40, 20]);
    expect(await o.size()).toBe(0);
  });

  it('defers a failed batch with backoff (Retry-After wins) and never drops it', async () => {
    const b = new FakeBackend();
    b.failNext = 2;
    b.retryAfterMs = 3_000;
    const o = new SqliteOutbox(db, { now: () => now });
    const r = new Reporter({ backend: b, outbox: o, logger: silentLogger, now: () => now, backoff: { baseMs: 100 } });
    r.push(upd('1'));
    await r.flush();
    expect(await o.size()).toBe(1);
    expect(r.stats.pausedUntil).toBeGreaterThanOrEqual(now + 3_000);
    await r.flush(); // still hidden by the backoff
    expect(b.calls).toHaveLength(1);
    now += 3_000;
    await r.flush();
    expect(b.calls).toHaveLength(2);
    now += 10_000;
    await r.flush();
    expect(b.calls).toHaveLength(3);
    expect(await o.size()).toBe(0);
    expect(await o.peek(10, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('hands refused updates to onRefused and acknowledges them', async () => {
    const b = new FakeBackend();
    b.refuse.add('2');
    const o = new SqliteOutbox(db);
    const refused: [string, string][] = [];
    const r = new Reporter({ backend: b, outbox: o, logger: silentLogger, onRefused: (u, out) => refused.push([u.rowId, out.category]) });
    r.push(upd('1'));
    r.push(upd('2'));
    await r.flush();
    expect(refused).toEqual([['2', 'data_corruption']]);
    expect(await o.size()).toBe(0);
  });

  it('flushes on its own every window, and close() makes a final attempt', async () => {
    const b = new FakeBackend();
    const o = new SqliteOutbox(db);
    const r = new Reporter({ backend: b, outbox: o, windowMs: 30, logger: silentLogger });
    r.start();
    r.push(upd('1'));
    await new Promise((res) => setTimeout(res, 120));
    expect(b.calls).toHaveLength(1);
    b.failNext = 1;
    r.push(upd('2'));
    await new Promise((res) => setTimeout(res, 60));
    expect(await o.size()).toBe(1); // deferred after the failure
    await r.close();
    expect(await o.size()).toBe(0);
  });

  it('with write-back off, keeps updates in the outbox and never throws', async () => {
    const o = new SqliteOutbox(db);
    const off = new OffSheetBackend();
    const r = new Reporter({ backend: off, outbox: o, logger: silentLogger });
    r.push(upd('1'));
    await r.flush();
    await r.close();
    expect(await o.size()).toBe(1);
    expect(off.describe()).toMatch(/write-back is off/);
    await expect(off.apply([upd('1')])).rejects.toMatchObject({ category: 'permission' });
  });
});

describe('Reporter isolation', () => {
  it('a spreadsheet that cannot be written does not hold back the others', async () => {
    const outbox = new SqliteOutbox(db, { now: () => now });
    const backend = new FakeBackend();
    backend.failFor.add('viewer-only');
    const r = new Reporter({ backend, outbox, logger: silentLogger, now: () => now, random: () => 0.5 });
    r.push(upd('1', { spreadsheetId: 'viewer-only' }));
    r.push(upd('2', { spreadsheetId: 'ok' }));
    r.push(upd('3', { spreadsheetId: 'ok' }));
    await r.flush();
    // one apply per spreadsheet; the good sheet's updates landed, the bad one's wait for a retry
    expect(backend.calls.map((c) => c.map((u) => u.spreadsheetId))).toEqual([['viewer-only'], ['ok', 'ok']]);
    expect(r.stats.delivered).toBe(2);
    expect(await outbox.size()).toBe(1);
    expect(r.stats.pausedUntil).toBe(0); // not everything failed: timed flushes keep running
    r.push(upd('4', { spreadsheetId: 'ok' }));
    await r.flush();
    expect(r.stats.delivered).toBe(3);
    expect((await outbox.peek(10, Number.MAX_SAFE_INTEGER)).map((e) => e.update.rowId)).toEqual(['1']);
  });
});

describe('Reporter when the outbox cannot store', () => {
  /** A SQLite outbox whose push fails while `down` (Redis away, disk full). */
  class FlakyOutbox extends SqliteOutbox {
    down = true;
    override push(u: StatusUpdate): Promise<void> {
      return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : super.push(u);
    }
  }

  it('holds updates in memory, merged per row in push order, and stores them once it is back', async () => {
    const outbox = new FlakyOutbox(db);
    const b = new FakeBackend();
    const r = new Reporter({ backend: b, outbox, logger: silentLogger });
    await r.push(upd('1', { status: 'downloading', files: ['old'] }));
    await r.push(upd('2', { status: 'downloading' }));
    expect(r.stats.held).toBe(2);
    outbox.down = false;
    // a newer update of a held row does not overtake it: it joins it
    await r.push(upd('1', { status: 'completed' }));
    await r.push(upd('3', { status: 'queued' })); // not held: straight to the outbox
    expect(await outbox.size()).toBe(1);
    await r.flush();
    expect(r.stats.held).toBe(0);
    const sent = b.calls.flat().map((u) => [u.rowId, u.status, u.files]);
    expect(sent.sort()).toEqual([
      ['1', 'completed', ['old']],
      ['2', 'downloading', undefined],
      ['3', 'queued', undefined],
    ]);
    expect(await outbox.size()).toBe(0);
  });

  it("asOutbox() is the outbox with the reporter's push: producers get the holding too", async () => {
    const outbox = new FlakyOutbox(db);
    const r = new Reporter({ backend: new FakeBackend(), outbox, logger: silentLogger });
    const producers = r.asOutbox();
    await expect(producers.push(upd('1'))).resolves.toBeUndefined();
    expect(r.stats.held).toBe(1);
    outbox.down = false;
    await r.flush();
    expect(await producers.size()).toBe(0);
    expect(r.stats.delivered).toBe(1);
  });

  it('keeps holding while the outbox stays away, and never rejects', async () => {
    const outbox = new FlakyOutbox(db);
    const r = new Reporter({ backend: new FakeBackend(), outbox, logger: silentLogger });
    await expect(r.push(upd('1'))).resolves.toBeUndefined();
    await r.flush();
    expect(r.stats.held).toBe(1);
    await r.close();
    expect(await new SqliteOutbox(db).size()).toBe(0);
  });
});
