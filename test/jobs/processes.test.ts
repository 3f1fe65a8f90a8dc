/**
 * The queue across real processes sharing one SQLite file: exclusive leases under contention,
 * no accepted job lost to a SIGKILL, and a killed holder's job coming back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobBackend } from '../../worker/src/jobs/index.js';
import { newJob, tempDir, valid } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function child(...args: string[]): { proc: ChildProcess; lines: string[]; waitFor: (pred: (l: string) => boolean) => Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: () => void }[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters])
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  const waitFor = (pred: (l: string) => boolean) =>
    lines.some(pred)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ pred, resolve });
          proc.once('exit', (c, s) => reject(new Error(`child exited (${c ?? s}) before the expected line; got ${lines.join(' | ')}`)));
        });
  return { proc, lines, waitFor };
}

async function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return { code: proc.exitCode, signal: proc.signalCode };
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('several processes on one queue file', () => {
  it('two processes leasing concurrently never lease a job twice', async () => {
    const path = join(dir, 'queue.db');
    const q = new SqliteJobBackend(path);
    const ids = (await q.enqueue(Array.from({ length: 200 }, () => newJob()))).map((r) => r.job.jobId);
    const a = child('lease-loop', path, 'A');
    const b = child('lease-loop', path, 'B');
    await Promise.all([a.waitFor((l) => l === 'ready'), b.waitFor((l) => l === 'ready')]);
    a.proc.stdin!.end('go\n');
    b.proc.stdin!.end('go\n');
    const [ea, eb] = await Promise.all([exitOf(a.proc), exitOf(b.proc)]);
    expect(ea).toEqual({ code: 0, signal: null });
    expect(eb).toEqual({ code: 0, signal: null });
    const leasedBy = (c: typeof a) => c.lines.filter((l) => l.startsWith('leased ')).map((l) => l.slice(7));
    const byA = leasedBy(a);
    const byB = leasedBy(b);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(ids.length);
    expect(new Set(all).size).toBe(ids.length);
    expect(new Set(all)).toEqual(new Set(ids));
    // both really took part (the start barrier makes them contend)
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
    // every job completed once, by the process that leased it
    const owner = new Map([...byA.map((id) => [id, 'A'] as const), ...byB.map((id) => [id, 'B'] as const)]);
    for (const id of ids) {
      const job = valid(await q.get(id));
      expect(job.status).toBe('completed');
      expect(job.files).toEqual([`${owner.get(id)}/${id}`]);
    }
    expect((await q.stats()).byStatus.completed).toBe(ids.length);
    await q.close();
  });

  it('jobs enqueued just before a SIGKILL are there after reopening', async () => {
    const path = join(dir, 'queue.db');
    const c = child('enqueue-kill', path, '50');
    expect(await exitOf(c.proc)).toEqual({ code: null, signal: 'SIGKILL' });
    const q = new SqliteJobBackend(path);
    const jobs = (await q.list({ limit: 500 })).jobs;
    expect(jobs).toHaveLength(50);
    expect(new Set(jobs.map((j) => j.rowId))).toEqual(new Set(Array.from({ length: 50 }, (_, i) => `crash-${i}`)));
    jobs.forEach((j) => expect(valid(j).status).toBe('queued'));
    await q.close();
  });

  it("with 100 jobs queued, a killed holder's job runs again within one lease plus one job, not after the backlog", async () => {
    const LEASE_MS = 600;
    const JOB_MS = 60;
    const path = join(dir, 'queue.db');
    const q = new SqliteJobBackend(path);
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    const c = child('lease-kill', path, 'doomed', String(LEASE_MS));
    expect(await exitOf(c.proc)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(c.lines).toEqual([`leased ${jobId}`]);
    await q.enqueue(Array.from({ length: 100 }, () => newJob()));
    // this process is the surviving worker: it runs the backlog one job at a time, JOB_MS of work each
    const order: string[] = [];
    for (let lease = await q.lease('survivor', 60_000); lease; lease = await q.lease('survivor', 60_000)) {
      order.push(lease.job.jobId);
      await new Promise((r) => setTimeout(r, JOB_MS));
      await q.complete(lease.job.jobId, 'survivor', { files: [], mediaIds: [] });
      if (lease.job.jobId === jobId) break;
    }
    // every job takes at least JOB_MS, so by the time the lease ran out at most LEASE/JOB jobs ran;
    // a slow machine only makes that number smaller
    expect(order.at(-1)).toBe(jobId);
    expect(order.length).toBeLessThanOrEqual(Math.ceil(LEASE_MS / JOB_MS) + 1);
    expect(await q.openCount()).toBeGreaterThanOrEqual(100 - Math.ceil(LEASE_MS / JOB_MS));
    await q.close();
  });

  it('a job held by a killed process comes back once its lease expires', async () => {
    const path = join(dir, 'queue.db');
    const q = new SqliteJobBackend(path);
    const { jobId } = (await q.enqueue([newJob()]))[0]!.job;
    const c = child('lease-kill', path, 'doomed', '300');
    expect(await exitOf(c.proc)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(c.lines).toEqual([`leased ${jobId}`]);
    const heldAt = Date.now();
    expect((await q.get(jobId))!.status).toBe('downloading');
    expect(await q.lease('survivor', 10_000, heldAt - 1_000)).toBeNull();
    const lease = (await q.lease('survivor', 10_000, heldAt + 1_000))!;
    expect(lease.job).toMatchObject({ jobId, attempt: 1 });
    expect((await q.complete(jobId, 'survivor', { files: ['x'], mediaIds: [] })).status).toBe('completed');
    await q.close();
  });
});
