/**
 * Durability (design §6): a `serve` process is SIGKILLed in the middle of downloads and started
 * again on the same data folder. Every accepted job ends completed exactly once, status reaches
 * the sheet (Sheets stand-in through googleapis), and the archive holds no duplicate or partial files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleSheetStandIn, type SheetsStandIn } from '../support/sheetsStandIn.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { until } from '../support/wait.js';

const SECRET = 'durability-secret-0123456789';
const ROWS = 6;
let host: MediaHost;
let sheets: SheetsStandIn;
let dir: string;
let env: Record<string, string>;
const procs: ServeProcess[] = [];

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-durability-'));
  // ~1.4 MB clips at 400 KB/s per connection: each download takes a few seconds.
  host = await startMediaHost({ clipCount: ROWS, clipSeconds: 2, clipKbps: 6000, throttleBytesPerSec: 400_000 });
  sheets = await peopleSheetStandIn(
    host.clips.map((c) => host.clipUrl(c)),
    { rowId: (i) => String(200 + i), name: (i) => `Person ${i}` },
  );
  env = workerEnv({
    secret: SECRET,
    dataDir: join(dir, 'data'),
    mediaHost: host.host,
    sheetsUrl: sheets.url,
    // a short lease so the dead holder's jobs come back quickly; info logs to count completions
    extra: { ARCHIVER_CONCURRENCY: '3', ARCHIVER_LEASE_S: '2', LOG_LEVEL: 'info' },
  });
}, 120_000);

afterAll(async () => {
  for (const p of procs) await p.kill().catch(() => {});
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a worker killed mid-download', () => {
  it('loses no job, completes each exactly once, and leaves no duplicate files', async () => {
    const first = await startServe(env);
    procs.push(first);
    const api = signedClient(first.baseUrl, SECRET);
    const body = dispatchBody(host.clips.map((c, i) => ({ rowId: String(200 + i), rowNumber: i + 2, youtube: [host.clipUrl(c)] })));
    const accepted = await api.request('POST', '/v1/dispatch', body);
    expect(accepted.status).toBe(202);
    const jobIds: string[] = accepted.body.jobs.map((j: { jobId: string }) => j.jobId);
    expect(jobIds).toHaveLength(ROWS);

    // Kill -9 once downloads are under way (some bytes in, none finished).
    await until('downloads in progress', async () => {
      const r = await api.request('GET', '/v1/jobs?status=downloading');
      return r.body.jobs?.some((j: { progress: { fraction: number } | null }) => (j.progress?.fraction ?? 0) > 0) ? true : undefined;
    });
    await first.kill();

    // Start again on the same data folder: the dead holder's leases expire and the jobs run again.
    const second = await startServe(env);
    procs.push(second);
    const api2 = signedClient(second.baseUrl, SECRET);
    // dispatching the same rows again is harmless: the open jobs come back (idempotent)
    const again = await api2.request('POST', '/v1/dispatch', { ...body, dispatchId: crypto.randomUUID() });
    expect(again.body.jobs.map((j: { jobId: string }) => j.jobId).sort()).toEqual([...jobIds].sort());

    const jobs = await until(
      'all jobs completed',
      async () => {
        const r = await api2.request('GET', '/v1/jobs?limit=100');
        const all = r.body.jobs as { jobId: string; status: string; files: string[] }[];
        return all.length === ROWS && all.every((j) => j.status === 'completed') ? all : undefined;
      },
      90_000,
    );
    expect(jobs.map((j) => j.jobId).sort()).toEqual([...jobIds].sort());

    // Exactly once: across both processes' logs, each job was recorded completed once.
    await second.stop();
    const logs = (first.stderr() + second.stderr()).split('\n').filter((l) => l.startsWith('{'));
    const completions = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'job finished' && l.status === 'completed');
    expect(completions.map((c) => c.jobId).sort()).toEqual([...jobIds].sort());
    expect(logs.some((l) => l.includes('"job started"'))).toBe(true);

    // No duplicates or leftovers: every stored file is listed in its metadata.json, nothing partial.
    const archive = join(dir, 'data', 'archive');
    const files = walk(archive).map((f) => relative(archive, f));
    expect(files.filter((f) => /\.(part|ytdl|tmp)$/.test(f) || f.startsWith('.incoming/'))).toEqual([]);
    for (const j of jobs) {
      const mediaDir = join(archive, j.files[0]!.split('/').slice(0, 3).join('/'));
      const meta = JSON.parse(readFileSync(join(mediaDir, 'metadata.json'), 'utf8'));
      const onDisk = walk(mediaDir)
        .map((f) => relative(archive, f))
        .filter((f) => !f.endsWith('metadata.json'))
        .sort();
      expect(onDisk).toEqual(meta.files.map((f: { key: string }) => f.key).sort());
      for (const f of meta.files) expect(statSync(join(archive, f.key)).size).toBe(f.size);
      expect(onDisk.filter((f) => f.endsWith('.mp4'))).toHaveLength(1);
    }

    // The sheet shows every row completed with its files (status updates survived the kill).
    const sh = sheets.model.sheet('sheet-1', 'People')!;
    const rows = sheets.model.rowsOf(sh);
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    for (const r of rows.slice(1)) {
      expect(r[col('youtube_status')], `row ${r[0]}`).toBe('completed');
      expect(r[col('youtube_files')]).toMatch(new RegExp(`^${r[0]}/youtube/`));
      expect(r[col('type')]).toBe('FF-Fi/Se-CP/B(S) #4');
    }
  }, 180_000);
});
