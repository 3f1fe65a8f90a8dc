/**
 * Reading the run logs back (`sheet-archiver runs`, GET /v1/runs): each file's marker lines
 * (runs/runLog.ts) say what the run was and how it ended; lines are pino JSON.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_ID_PATTERN, runLogPath } from './ids.js';
import { RUN_FINISHED, RUN_INTERRUPTED, RUN_RESUMED, RUN_STARTED } from './runLog.js';
import type { RunKind, RunSummary } from './summary.js';

const MARKERS = new Set([RUN_STARTED, RUN_RESUMED, RUN_FINISHED, RUN_INTERRUPTED]);

/** One log line as written (pino: `level` number, `time` ms, `msg`, `runId`, and its fields). */
export type RunLine = Record<string, unknown> & { level?: number; time?: number; msg?: string };

/**
 * `running`: no end line yet and its process may still be at it; `interrupted`: the process
 * stopped mid-run (an end line says so, or it was killed on this host and left none); `finished`:
 * the summary is there.
 */
export type RunStatus = 'running' | 'interrupted' | 'finished';

/** A run as listed. Times ISO 8601 UTC. */
export interface RunInfo {
  runId: string;
  kind: RunKind | null;
  spreadsheetId: string | null;
  sheetName: string | null;
  startedAt: string | null;
  /** ms from the first line to the summary (finished) or to the last line */
  durationMs: number | null;
  status: RunStatus;
  /** jobs by outcome: from the summary, else counted from the `job finished` lines so far */
  jobs: { total: number; completed: number; failed: number; cancelled: number; other: number };
  /** the summary line's summary (the last one when the run was resumed and finished again) */
  summary: RunSummary | null;
  /** size of the log file, bytes */
  bytes: number;
}

/** Parses JSON lines; a torn last line (a process killed mid-write) is skipped. */
export function parseLines(text: string): RunLine[] {
  const out: RunLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    try {
      out.push(JSON.parse(l) as RunLine);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** Whether process `pid` exists here (signal 0 checks without sending; EPERM: it exists, not ours). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How describeRun tells whether the writer of a run still lives (tests pass their own). */
export interface WriterProbe {
  host: string;
  alive: (pid: number) => boolean;
}

const LOCAL_PROBE: WriterProbe = { host: hostname(), alive: pidAlive };

/**
 * Whether every process that wrote `lines` (pino's `pid` and `hostname`) is known to be gone: each
 * ran on this host and its pid is not alive. A line from another host, or without a pid, is not
 * known gone (that run may still be at work there).
 */
export function writersGone(lines: readonly RunLine[], probe: WriterProbe = LOCAL_PROBE): boolean {
  if (!lines.length) return false;
  const pids = new Set<number>();
  for (const l of lines) {
    const pid = l['pid'];
    if (typeof pid !== 'number' || l['hostname'] !== probe.host || pid === process.pid) return false;
    pids.add(pid);
  }
  return [...pids].every((pid) => !probe.alive(pid));
}

/**
 * What a run's lines say about it.
 * @param probe tells a run whose process was killed (kill -9 writes no end line) from one still running
 */
export function describeRun(runId: string, lines: readonly RunLine[], bytes: number, probe: WriterProbe = LOCAL_PROBE): RunInfo {
  const first = lines.find((l) => l.msg === RUN_STARTED || l.msg === RUN_RESUMED);
  const run = (first?.['run'] ?? {}) as Partial<RunSummary>;
  const last = [...lines].reverse().find((l) => l.msg === RUN_FINISHED || l.msg === RUN_INTERRUPTED || l.msg === RUN_RESUMED);
  const ended = last && last.msg !== RUN_RESUMED ? last : undefined;
  const summary = (ended?.['summary'] as RunSummary | undefined) ?? null;
  // lines since the run was last (re)opened: their writers are the ones that could still end it
  let openedAt = lines.length - 1;
  while (openedAt > 0 && lines[openedAt]!.msg !== RUN_STARTED && lines[openedAt]!.msg !== RUN_RESUMED) openedAt--;
  const status: RunStatus = ended
    ? ended.msg === RUN_FINISHED
      ? 'finished'
      : 'interrupted'
    : writersGone(lines.slice(Math.max(0, openedAt)), probe)
      ? 'interrupted'
      : 'running';
  let jobs: RunInfo['jobs'];
  if (summary && status === 'finished') {
    jobs = {
      total: summary.jobs,
      completed: summary.completed,
      failed: summary.failed,
      cancelled: summary.cancelled,
      other: summary.other,
    };
  } else {
    // each job's last `job finished` line (a retried job finishes more than once)
    const lastStatus = new Map<string, string>();
    for (const l of lines) if (l.msg === 'job finished' && typeof l['jobId'] === 'string') lastStatus.set(l['jobId'], String(l['status']));
    jobs = { total: Math.max(Number(run.jobs ?? 0), lastStatus.size), completed: 0, failed: 0, cancelled: 0, other: 0 };
    for (const st of lastStatus.values()) {
      if (st === 'completed' || st === 'failed' || st === 'cancelled') jobs[st]++;
    }
    jobs.other = jobs.total - jobs.completed - jobs.failed - jobs.cancelled;
  }
  const t0 = first?.time ?? lines[0]?.time;
  const tEnd = status === 'finished' ? ended?.time : lines[lines.length - 1]?.time;
  return {
    runId,
    kind: run.kind ?? null,
    spreadsheetId: run.spreadsheetId ?? null,
    sheetName: run.sheetName ?? null,
    startedAt: t0 === undefined ? null : new Date(t0).toISOString(),
    durationMs: summary && status === 'finished' ? summary.durationMs : t0 !== undefined && tEnd !== undefined ? tEnd - t0 : null,
    status,
    jobs,
    summary,
    bytes,
  };
}

/**
 * The most recently written runs, newest first.
 * @param limit at most this many (default 20)
 */
export async function listRuns(dir: string, limit = 20): Promise<RunInfo[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl') && RUN_ID_PATTERN.test(n.slice(0, -6)));
  } catch {
    return [];
  }
  const withTimes = (await Promise.all(names.map(async (n) => ({ n, s: await stat(join(dir, n)).catch(() => null) })))).filter(
    (x) => x.s !== null,
  );
  withTimes.sort((a, b) => b.s!.mtimeMs - a.s!.mtimeMs);
  const out: RunInfo[] = [];
  for (const { n } of withTimes.slice(0, limit)) {
    const run = await readRun(dir, n.slice(0, -6));
    if (run) out.push(run.info);
  }
  return out;
}

/** One run's lines and what they say; null when there is no such run log. @throws Error on a bad id */
export async function readRun(dir: string, runId: string): Promise<{ info: RunInfo; lines: RunLine[] } | null> {
  const path = runLogPath(dir, runId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const lines = parseLines(text);
  return { info: describeRun(runId, lines, Buffer.byteLength(text)), lines };
}

/**
 * Follows a run's log: calls `onLines` with what is there, then with each new complete line, until
 * the run finishes, it is interrupted (an end line, or its writers were killed on this host), or
 * `signal` aborts. Polls every `pollMs` (default 250).
 */
export async function followRun(
  dir: string,
  runId: string,
  onLines: (lines: RunLine[]) => void,
  opts: { signal?: AbortSignal; pollMs?: number; probe?: WriterProbe } = {},
): Promise<void> {
  const probe = opts.probe ?? LOCAL_PROBE;
  const path = runLogPath(dir, runId);
  let offset = 0;
  let rest = '';
  let ended = false;
  // one line per writer since the run was last (re)opened: enough to tell whether they are gone
  const writers = new Map<string, RunLine>();
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const { size } = await fh.stat();
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        const text = rest + buf.toString('utf8');
        const cut = text.lastIndexOf('\n');
        rest = text.slice(cut + 1);
        const lines = parseLines(text.slice(0, cut + 1));
        if (lines.length) onLines(lines);
        for (const l of lines) {
          if (l.msg === RUN_STARTED || l.msg === RUN_RESUMED) writers.clear();
          writers.set(`${String(l['hostname'])}:${String(l['pid'])}`, l);
        }
        // a finished run may be resumed (a retried job): only the last marker line counts
        const marker = [...lines].reverse().find((l) => MARKERS.has(String(l.msg)));
        if (marker) ended = marker.msg === RUN_FINISHED || marker.msg === RUN_INTERRUPTED;
      } else if (writersGone([...writers.values()], probe)) return;
      if (ended || opts.signal?.aborted) return;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
  } finally {
    await fh.close();
  }
}
