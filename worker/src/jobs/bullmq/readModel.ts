/**
 * The report's facts and the gauges' counts (jobs/readModel.ts) from the BullMQ backend's Redis
 * keys (keys.ts; docs/design.md §6): sizes of the status sets, counts and ranges of the read
 * indexes (readIndexes.ts), the `jobs:counts` counters with the status set sizes, and the lane pauses. One MULTI (a
 * consistent snapshot) plus one pipeline for the few records it needs (the example messages, the
 * latest `window` failures, the leased jobs); no job is scanned. Times are ms since epoch.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { SOURCES, type SourceName } from '../../../../shared/columns.js';
import { ERROR_CATEGORIES, type ErrorCategory } from '../../../../shared/errors.js';
import { JOB_STATUSES, type JobStatus } from '../../../../shared/schemas.js';
import {
  emptyBySource,
  emptyTrend,
  HOUR_MS,
  summarizeRecent,
  withRates,
  type FactsOptions,
  type FailureCategory,
  type LanePause,
  type QueueFacts,
  type QueueGaugeSnapshot,
  type QueueReadModel,
} from '../readModel.js';
import { parsePause, type Keys } from './keys.js';
import { IDX, parseCounterField } from './readIndexes.js';
import type { StoredJob } from './stored.js';

type Finished = 'completed' | 'failed';
const FINISHED: readonly Finished[] = ['completed', 'failed'];
const OPEN_STATUSES = ['queued', 'retrying', 'downloading', 'uploading'] as const;

/** Runs a MULTI or pipeline and hands out its replies in order. @throws the first reply's error */
async function replies(c: ChainableCommander): Promise<() => unknown> {
  const res = (await c.exec()) ?? [];
  let i = 0;
  return () => {
    const [err, v] = res[i++] ?? [new Error('missing reply'), null];
    if (err) throw err;
    return v;
  };
}

/** Pairs of a WITHSCORES reply. */
function scored(flat: unknown): { id: string; score: number }[] {
  const f = flat as string[];
  const out: { id: string; score: number }[] = [];
  for (let i = 0; i < f.length; i += 2) out.push({ id: f[i]!, score: Number(f[i + 1]) });
  return out;
}

export class BullMqReadModel implements QueueReadModel {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The stored jobs of `ids` (missing ones skipped), by id. */
  private async records(ids: readonly string[]): Promise<Map<string, StoredJob>> {
    const out = new Map<string, StoredJob>();
    if (!ids.length) return out;
    const p = this.redis.pipeline();
    for (const id of ids) p.hget(this.keys.rec(id), 'j');
    const next = await replies(p);
    for (const id of ids) {
      const raw = next();
      if (typeof raw === 'string') out.set(id, JSON.parse(raw) as StoredJob);
    }
    return out;
  }

  /**
   * Jobs per status and source and waiting jobs (queued, retrying) per lane, from `jobs:counts`
   * and the status set sizes: what the counters leave out are YouTube jobs of the youtube lane
   * (readIndexes.ts counterField).
   */
  private static counted(
    h: Record<string, string>,
    sizes: Readonly<Partial<Record<JobStatus, number>>>,
  ): { byStatusSource: Map<string, number>; waitingByLane: Map<string, number> } {
    const byStatusSource = new Map<string, number>();
    const waitingByLane = new Map<string, number>();
    const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
    const rest = new Map(Object.entries(sizes).map(([st, n]) => [st, n ?? 0]));
    for (const [f, v] of Object.entries(h)) {
      const n = Number(v);
      if (!(n > 0)) continue;
      const c = parseCounterField(f);
      add(byStatusSource, `${c.status}|${c.source}`, n);
      if (c.status === 'queued' || c.status === 'retrying') add(waitingByLane, c.lane, n);
      rest.set(c.status, (rest.get(c.status) ?? 0) - n);
    }
    for (const [st, n] of rest) {
      if (n <= 0) continue;
      add(byStatusSource, `${st}|youtube`, n);
      if (st === 'queued' || st === 'retrying') add(waitingByLane, 'youtube', n);
    }
    return { byStatusSource, waitingByLane };
  }

  /** See QueueReadModel.facts. */
  async facts(o: FactsOptions): Promise<QueueFacts> {
    const k = this.keys;
    const since = String(o.sinceMs);
    const fin = SOURCES.flatMap((source) => FINISHED.map((status) => ({ source, status, key: k.index(IDX.fin(status, source)) })));
    const trend = emptyTrend(o.now);
    const m = this.redis.multi();
    for (const f of fin) m.zcount(f.key, since, '+inf');
    for (const c of ERROR_CATEGORIES) m.zcount(k.index(IDX.fail(c)), since, '+inf');
    for (const c of ERROR_CATEGORIES) m.zrevrangebyscore(k.index(IDX.fail(c)), '+inf', since, 'LIMIT', 0, 1);
    for (const f of fin) m.zrevrange(f.key, 0, Math.max(0, o.window - 1), 'WITHSCORES');
    for (const st of OPEN_STATUSES) m.zcard(k.status(st));
    m.zrange(k.index(IDX.ready), 0, 0, 'WITHSCORES');
    m.zcount(k.index(IDX.ready), '-inf', `(${o.now - o.maxQueuedAgeMs}`);
    m.zrange(k.status('downloading'), 0, -1);
    m.zrange(k.status('uploading'), 0, -1);
    m.hgetall(k.lanes);
    m.hgetall(k.laneSince);
    m.hgetall(k.index('counts'));
    for (const b of trend) for (const f of fin) m.zcount(f.key, b.start, `(${b.start + HOUR_MS}`);
    m.zcount(k.index(IDX.dc), since, '+inf');
    const next = await replies(m);

    const bySource = emptyBySource();
    for (const f of fin) bySource[f.source][f.status] = Number(next());
    withRates(bySource);
    const catCounts = ERROR_CATEGORIES.map((category) => ({ category, count: Number(next()) }));
    const latestOf = new Map<ErrorCategory, string>();
    for (const c of ERROR_CATEGORIES) {
      const id = (next() as string[])[0];
      if (id) latestOf.set(c, id);
    }
    const recentIds = fin
      .flatMap((f) => scored(next()).map((x) => ({ ...x, status: f.status })))
      .sort((a, b) => b.score - a.score)
      .slice(0, Math.max(0, o.window));
    const open = { queued: 0, retrying: 0, downloading: 0, uploading: 0, total: 0 };
    for (const st of OPEN_STATUSES) {
      open[st] = Number(next());
      open.total += open[st];
    }
    const oldest = scored(next())[0]?.score ?? null;
    const stuckQueued = Number(next());
    const leased = [...(next() as string[]), ...(next() as string[])];
    const laneHash = next() as Record<string, string>;
    const sinceHash = next() as Record<string, string>;
    const { waitingByLane } = BullMqReadModel.counted(next() as Record<string, string>, { queued: open.queued, retrying: open.retrying });
    for (const b of trend)
      for (const f of fin) {
        const n = Number(next());
        b[f.status as Finished] += n;
      }
    const dataCorruption = Number(next());

    // the few records the counts cannot answer
    const failedRecent = recentIds.filter((r) => r.status === 'failed').map((r) => r.id);
    const recs = await this.records([...new Set([...latestOf.values(), ...failedRecent, ...leased])]);
    const failures: FailureCategory[] = catCounts
      .filter((c) => c.count > 0)
      .map((c) => ({ ...c, example: recs.get(latestOf.get(c.category) ?? '')?.r.error?.message ?? '' }))
      .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
    const recent = summarizeRecent(
      recentIds.map((r) => {
        const e = r.status === 'failed' ? recs.get(r.id)?.r.error : null;
        return { status: r.status, category: e?.category ?? null, message: e?.message ?? null };
      }),
    );
    const expiredLeases = leased.filter((id) => {
      const s = recs.get(id);
      return !!s && s.x !== null && s.x < o.now;
    }).length;
    const lanes: LanePause[] = [];
    for (const [f, v] of Object.entries(laneHash)) {
      if (!f.startsWith('!p:')) continue;
      const lane = f.slice(3);
      const p = parsePause(lane, v);
      if (!p || p.untilMs <= o.now) continue;
      lanes.push({ lane, since: Number(sinceHash[lane] ?? o.now), until: p.untilMs, jobs: waitingByLane.get(lane) ?? 0 });
    }
    lanes.sort((a, b) => (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : 0));
    return {
      bySource,
      failures,
      recent,
      open,
      stuckQueued,
      oldestQueuedMs: oldest === null ? null : Math.max(0, o.now - oldest),
      expiredLeases,
      lanes,
      trend,
      dataCorruption,
    };
  }

  /** See QueueReadModel.gauges: the counters, the oldest queued and the oldest due retrying job. */
  async gauges(now: number): Promise<QueueGaugeSnapshot> {
    const k = this.keys;
    const m = this.redis.multi();
    m.hgetall(k.index('counts'));
    for (const st of JOB_STATUSES) m.zcard(k.status(st));
    m.zrange(k.index(IDX.ready), 0, 0, 'WITHSCORES');
    m.zrangebyscore(k.index(IDX.due), '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1);
    const next = await replies(m);
    const h = next() as Record<string, string>;
    const sizes = Object.fromEntries(JOB_STATUSES.map((st) => [st, Number(next())]));
    const { byStatusSource, waitingByLane } = BullMqReadModel.counted(h, sizes);
    const times = [scored(next())[0]?.score, scored(next())[0]?.score].filter((t): t is number => typeof t === 'number');
    return {
      jobs: [...byStatusSource].map(([f, n]) => {
        const [status, source] = f.split('|') as [JobStatus, SourceName];
        return { status, source, n };
      }),
      depthByLane: [...waitingByLane].map(([lane, n]) => ({ lane, n })),
      oldestWaitingSince: times.length ? Math.min(...times) : null,
    };
  }
}
