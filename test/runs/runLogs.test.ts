/**
 * The run log files themselves (runs/): rotation by age and by size on real files with set
 * mtimes, the redaction of log.ts in a run's file, a run that ends with a cancelled job, and a
 * run interrupted by a stop and resumed by the next process, and one whose process was killed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLine } from '../../worker/src/cli/commands/runs.js';
import { loadConfig } from '../../worker/src/config/env.js';
import { silentLogger } from '../../worker/src/log.js';
import { newRunId } from '../../worker/src/runs/ids.js';
import { describeRun, followRun, readRun } from '../../worker/src/runs/read.js';
import { rotateRunLogs } from '../../worker/src/runs/rotate.js';
import { RunLogs } from '../../worker/src/runs/runLogs.js';
import type { RunSummary } from '../../worker/src/runs/summary.js';
import { testJob } from '../support/jobs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runlogs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
/** A run log of `bytes` bytes last written `ageDays` ago. */
function oldLog(name: string, ageDays: number, bytes = 100): string {
  const p = join(dir, `${name}.jsonl`);
  writeFileSync(p, 'x'.repeat(bytes));
  const t = (Date.now() - ageDays * DAY) / 1000;
  utimesSync(p, t, t);
  return `${name}.jsonl`;
}

const meta = (runId: string) => ({ runId, kind: 'dispatch' as const, spreadsheetId: 'sheet-1', sheetName: 'People' });

describe('run log rotation', () => {
  it('removes files older than the age limit, and keeps the rest', async () => {
    const old = oldLog(newRunId(Date.now() - 40 * DAY), 40);
    const young = oldLog(newRunId(Date.now() - 10 * DAY), 10);
    const removed = await rotateRunLogs(dir, { maxAgeDays: 30, maxBytes: 0 });
    expect(removed).toEqual([old]);
    expect(readdirSync(dir)).toEqual([young]);
  });

  it('removes the oldest first until the folder fits the size limit, never an open run', async () => {
    const a = oldLog(newRunId(), 5, 400_000);
    const b = oldLog(newRunId(), 4, 400_000);
    const c = oldLog(newRunId(), 3, 400_000);
    const d = oldLog(newRunId(), 2, 400_000);
    // 1.6 MB against 1 MB: two must go; `a` is open, so `b` and `c` go
    const removed = await rotateRunLogs(dir, { maxAgeDays: 0, maxBytes: 1_000_000, keep: new Set([a]) });
    expect(removed).toEqual([b, c]);
    expect(readdirSync(dir).sort()).toEqual([a, d].sort());
  });

  it('runs after every finished run (and the limits come from RunLogs)', async () => {
    const old = oldLog(newRunId(Date.now() - 31 * DAY), 31);
    const logs = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 500e6 });
    const runId = crypto.randomUUID();
    logs.open(meta(runId), [], { autoFinish: true });
    await logs.close();
    expect(readdirSync(dir)).toEqual([`${runId}.jsonl`]);
    expect(readdirSync(dir)).not.toContain(old);
  });
});

describe('run logs', () => {
  it('redact secrets in a run file like the worker log does', async () => {
    const logs = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 0 });
    const runId = crypto.randomUUID();
    const job = testJob({ jobId: 'j_1', dispatchId: runId });
    logs.open(meta(runId), [job], { autoFinish: true });
    logs
      .loggerFor(job)
      .child({ jobId: job.jobId })
      .warn(
        { secret: 'hunter2-secret', headers: { authorization: 'Bearer tok-123' }, env: { ARCHIVER_SECRET: 'shared-0123456789' } },
        'with secrets',
      );
    await logs.close();
    const text = readFileSync(join(dir, `${runId}.jsonl`), 'utf8');
    expect(text).toContain('with secrets');
    expect(text).toContain('[redacted]');
    for (const s of ['hunter2-secret', 'tok-123', 'shared-0123456789']) expect(text).not.toContain(s);
  });

  it('a run whose last open job is cancelled before it ran finishes, with the cancel counted', async () => {
    const finished: RunSummary[] = [];
    const logs = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 0, onFinished: (s) => finished.push(s) });
    const runId = crypto.randomUUID();
    const a = testJob({ jobId: 'j_a', rowId: '1', dispatchId: runId });
    const b = testJob({ jobId: 'j_b', rowId: '2', dispatchId: runId });
    logs.open(meta(runId), [a, b], { autoFinish: true });
    logs.loggerFor(a);
    logs.onRunnerEvent({ type: 'started', job: a });
    logs.onRunnerEvent({ type: 'finished', job: { ...a, status: 'retrying' } });
    expect(finished).toHaveLength(0);
    logs.onRunnerEvent({ type: 'finished', job: { ...a, status: 'completed', files: ['x/1.mp4', 'x/metadata.json'] } });
    expect(finished).toHaveLength(0);
    logs.cancelled('j_b');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ runId, jobs: 2, rows: 2, completed: 1, cancelled: 1, categories: { cancelled: 1 }, files: 2 });
    await logs.close();
    const run = await readRun(dir, runId);
    expect(run!.info).toMatchObject({ status: 'finished', jobs: { total: 2, completed: 1, cancelled: 1 } });
  });

  it('a run stopped mid-way ends with "run interrupted" and the next process resumes it in the same file', async () => {
    const runId = crypto.randomUUID();
    const job = testJob({ jobId: 'j_r', dispatchId: runId });
    const first = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 0 });
    first.open(meta(runId), [job], { autoFinish: true });
    first.loggerFor(job).info({ jobId: job.jobId }, 'job started');
    await first.close();
    expect((await readRun(dir, runId))!.info.status).toBe('interrupted');

    const second = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 0 });
    second.loggerFor(job).info({ jobId: job.jobId }, 'job started');
    expect((await readRun(dir, runId))!.info.status).toBe('running');
    second.onRunnerEvent({ type: 'finished', job: { ...job, status: 'completed' } });
    await second.close();
    const run = (await readRun(dir, runId))!;
    expect(run.lines.map((l) => l.msg)).toEqual([
      'run started',
      'job started',
      'run interrupted',
      'run resumed',
      'job started',
      'run finished',
    ]);
    expect(run.lines.every((l) => l['runId'] === runId)).toBe(true);
    expect(run.info).toMatchObject({ status: 'finished', jobs: { total: 1, completed: 1 } });
  });

  it("a line logged after the job's event ended its run is dropped from the closed file, not thrown", async () => {
    const runId = crypto.randomUUID();
    const job = testJob({ jobId: 'j_late', dispatchId: runId });
    const logs = new RunLogs({ dir, log: silentLogger, maxAgeDays: 30, maxBytes: 0 });
    logs.open(meta(runId), [job], { autoFinish: true });
    const log = logs.loggerFor(job);
    log.info({ jobId: job.jobId }, 'job started');
    logs.onRunnerEvent({ type: 'finished', job: { ...job, status: 'completed' } });
    expect(() => log.info({ jobId: job.jobId }, 'a late line')).not.toThrow();
    await logs.close();
    expect((await readRun(dir, runId))!.lines.map((l) => l.msg)).toEqual(['run started', 'job started', 'run finished']);
  });

  it('a run whose process was killed (kill -9, no end line) reads as interrupted, and following it ends', async () => {
    const runId = crypto.randomUUID();
    const script = join(dir, 'writer.ts');
    const runLogUrl = pathToFileURL(join(process.cwd(), 'worker/src/runs/runLog.ts')).href;
    const logUrl = pathToFileURL(join(process.cwd(), 'worker/src/log.ts')).href;
    writeFileSync(
      script,
      `import { RunLog } from ${JSON.stringify(runLogUrl)};
       import { silentLogger } from ${JSON.stringify(logUrl)};
       const run = new RunLog(${JSON.stringify(join(dir, `${runId}.jsonl`))}, ${JSON.stringify(meta(runId))}, silentLogger, { resumed: false, jobs: 1 });
       run.log.info({ jobId: 'j_k' }, 'job started');
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    // alive: still running, and a follower waits
    expect((await readRun(dir, runId))!.info.status).toBe('running');
    let followed = false;
    const follow = followRun(dir, runId, () => {}, { pollMs: 20 }).then(() => (followed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(followed).toBe(false);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const info = (await readRun(dir, runId))!.info;
    expect(info).toMatchObject({ status: 'interrupted', jobs: { total: 1, completed: 0 } });
    await follow;
    expect(followed).toBe(true);
    // the same lines written on another host are not known to be gone
    const lines = (await readRun(dir, runId))!.lines.map((l) => ({ ...l, hostname: 'elsewhere' }));
    expect(describeRun(runId, lines, 0).status).toBe('running');
  }, 30_000);
});

describe('runs show lines', () => {
  const line = {
    level: 50,
    time: Date.UTC(2026, 11, 2, 9, 15, 2),
    msg: 'link failed',
    runId: 'r_x',
    pid: 1,
    jobId: 'j_1',
    category: 'not_found',
  };
  it('read as time, level, message and fields, without the fields every line has', () => {
    expect(formatLine(line, false)).toBe('09:15:02 ERROR link failed jobId=j_1 category=not_found');
  });
  it('are coloured on a terminal (the level red for an error)', () => {
    const c = formatLine(line, true);
    expect(c).toContain('\x1b[31mERROR');
    expect(c.replace(/\x1b\[[0-9;]*m/g, '')).toBe(formatLine(line, false));
  });
});

describe('run log limits', () => {
  it('default to 30 days and 500 MB; a bad value names its variable', () => {
    const e = loadConfig({}).env;
    expect([e.ARCHIVER_RUN_LOGS_MAX_AGE_DAYS, e.ARCHIVER_RUN_LOGS_MAX_MB]).toEqual([30, 500]);
    expect(() => loadConfig({ ARCHIVER_RUN_LOGS_MAX_MB: '-1' })).toThrow(/ARCHIVER_RUN_LOGS_MAX_MB/);
    expect(() => loadConfig({ ARCHIVER_RUN_LOGS_MAX_AGE_DAYS: 'week' })).toThrow(/ARCHIVER_RUN_LOGS_MAX_AGE_DAYS/);
  });
});
