/**
 * `ARCHIVER_VERIFY_EVERY=7d` (issue 10 item 7): verify in the background of `serve`, a slice at a
 * time. Each tick reads at most `sliceBytes` of files, one at a time, so downloads keep the disk
 * and network; it resumes from a cursor (the last metadata.json key done) in a small state file
 * under ARCHIVER_DATA, so a restart goes on where it stopped. A full pass starts `every` after the
 * previous one started. Findings are logged (warn), never repaired: `verify --repair` is a person's call.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { ObjectStore } from '../storage/types.js';
import type { Catalogue } from './repository.js';
import { verifyArchive, type Finding } from './verify.js';

/** Durations (`30s`, `15m`, `12h`, `7d`, `2w`) have one parser: shared/duration.ts. */
export { parseDuration } from '../../../shared/duration.js';

/** What the state file keeps between ticks and restarts. Times in ms since epoch. */
export interface VerifyState {
  /** when the current pass started; null when none is running */
  passStartedAt: number | null;
  /** the last metadata.json key the current pass covered ('' at its start) */
  cursor: string;
  /** when the last pass finished, and what it found */
  lastFinishedAt: number | null;
  lastFindings: number;
  /** problems found so far in the current pass */
  findings: number;
}

const FRESH: VerifyState = { passStartedAt: null, cursor: '', lastFinishedAt: null, lastFindings: 0, findings: 0 };

export interface VerifyScheduleOptions {
  store: ObjectStore;
  catalogue: Catalogue;
  prefix: string;
  log: Logger;
  /** ms between full passes (ARCHIVER_VERIFY_EVERY) */
  everyMs: number;
  /** state file, e.g. `<ARCHIVER_DATA>/verify-state.json` */
  statePath: string;
  /** bytes read per tick (default 256 MiB) */
  sliceBytes?: number;
  /** ms between ticks while a pass runs (default 60 s) */
  tickMs?: number;
  now?: () => number;
}

/** The background verifier; `start()` schedules ticks, `stop()` waits for the running one. */
export class VerifySchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: VerifyScheduleOptions) {}

  async readState(): Promise<VerifyState> {
    try {
      return { ...FRESH, ...(JSON.parse(await readFile(this.o.statePath, 'utf8')) as Partial<VerifyState>) };
    } catch {
      return { ...FRESH };
    }
  }

  private async writeState(s: VerifyState): Promise<void> {
    const tmp = `${this.o.statePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(s) + '\n');
    await rename(tmp, this.o.statePath);
  }

  start(): void {
    this.schedule(1000);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((next) => this.schedule(next))
        .catch((err: unknown) => {
          this.o.log.warn({ err: (err as Error).message }, 'verify: slice failed; trying again later');
          this.schedule(this.o.tickMs ?? 60_000);
        })
        .finally(() => (this.running = null));
    }, ms);
    this.timer.unref();
  }

  /**
   * Runs one slice when a pass is due or under way.
   * @returns ms until the next tick
   */
  async tick(): Promise<number> {
    const now = (this.o.now ?? Date.now)();
    const tickMs = this.o.tickMs ?? 60_000;
    const s = await this.readState();
    if (s.passStartedAt === null) {
      const due = s.lastFinishedAt === null ? now : s.lastFinishedAt + this.o.everyMs;
      if (due > now) return Math.min(due - now, 2 ** 31 - 1);
      s.passStartedAt = now;
      s.cursor = '';
      s.findings = 0;
    }
    const r = await verifyArchive(this.o.store, {
      prefix: this.o.prefix,
      catalogue: this.o.catalogue,
      after: s.cursor,
      maxBytes: this.o.sliceBytes ?? 256 * 1024 * 1024,
      concurrency: 1,
      signal: this.abort.signal,
    });
    for (const f of r.findings) this.o.log.warn(describe(f), `verify: ${f.kind} ${f.key}`);
    s.findings += r.findings.length;
    if (r.nextCursor === null) {
      this.o.log.info({ findings: s.findings, startedAt: new Date(s.passStartedAt).toISOString() }, 'verify: pass finished');
      s.lastFinishedAt = (this.o.now ?? Date.now)();
      s.lastFindings = s.findings;
      s.passStartedAt = null;
      s.cursor = '';
      await this.writeState(s);
      return Math.min(Math.max(tickMs, s.lastFinishedAt + this.o.everyMs - (this.o.now ?? Date.now)()), 2 ** 31 - 1);
    }
    s.cursor = r.nextCursor;
    await this.writeState(s);
    return tickMs;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }
}

function describe(f: Finding): Record<string, unknown> {
  return { kind: f.kind, key: f.key, rowId: f.rowId, source: f.source, mediaId: f.mediaId, detail: f.detail };
}
