/**
 * Hostile links refused as `validation` (issue 7 item 5), with the real yt-dlp and the host guard
 * on the local media host: a link that redirects to `file:///etc/passwd`, and a page whose
 * `<video src>` is `file:///etc/passwd`. Both must fail once, never retried, with a message that
 * says what was refused (docs/design.md §4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { makeCtx } from './helpers.js';
import { testNewJob, testEvents } from '../support/jobs.js';

const FILE_PAGE = '<html><head><title>Local file</title></head><body><video src="file:///etc/passwd"></video></body></html>';

let host: MediaHost;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-refusals-'));
  host = await startMediaHost({
    clipCount: 1,
    clipSeconds: 1,
    extraPages: { 'file-video.html': FILE_PAGE },
    redirects: { 'to-file': 'file:///etc/passwd', 'to-file.mp4': 'file:///etc/passwd' },
  });
}, 60_000);
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(link: string): Promise<{ err: ArchiveError; runs: number }> {
  let runs = 0;
  // the guard proxy is on (the default): this is the path production links take
  const source = createYtDlpSource({ allowedHosts: [host.host], onSpawn: () => runs++ });
  const err = await source.archive(link, makeCtx().ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArchiveError);
  return { err: err as ArchiveError, runs };
}

describe('hostile links through the source and the host guard', () => {
  it('a redirect to file:///etc/passwd is validation and names the refused target', async () => {
    for (const name of ['to-file', 'to-file.mp4']) {
      const { err } = await failure(host.redirectUrl(name));
      expect(err.category).toBe('validation');
      expect(err.message).toMatch(/^refused a redirect to file:\/\/\/etc\/passwd/);
      expect(err.message).not.toMatch(/please report|caused by/);
    }
  });

  it('a page with <video src="file:///etc/passwd"> is validation and keeps yt-dlp’s reason', async () => {
    const { err, runs } = await failure(host.extraUrl('file-video.html'));
    expect(runs).toBeGreaterThan(0); // yt-dlp really ran and refused it
    expect(err.category).toBe('validation');
    expect(err.message).toMatch(/refused a file:\/\/ URL/);
    expect(err.message).toMatch(/file:\/\/ URLs are explicitly disabled/);
    expect(err.message).not.toMatch(/yt-dlp failed|--enable-file-urls/);
  });
});

describe('hostile links through the runner', () => {
  it('both jobs fail on attempt 1 as validation, are never retried, and the row says what was refused', async () => {
    const queue = new SqliteJobBackend(':memory:');
    const outbox = new SqliteOutbox(queue.db);
    const runner = new Runner({
      events: testEvents(outbox),
      queue,
      sources: { youtube: createYtDlpSource({ allowedHosts: [host.host] }) },
      store: new LocalStore(join(dir, 'archive')),
      prefix: '',
      workRoot: join(dir, 'work'),
      concurrency: 2,
      leaseMs: 10_000,
      jobTimeoutMs: 60_000,
      retryScale: 0.01, // a retry, if one were scheduled, would run at once
      log: silentLogger,
      pollMs: 50,
      launchGapMs: 0,
    });
    const newJob = (rowId: string, link: string): NewJob => testNewJob(rowId, link, { name: '' });
    const jobs = (await queue.enqueue([newJob('2', host.redirectUrl('to-file')), newJob('3', host.extraUrl('file-video.html'))])).map(
      (r) => r.job,
    );
    const served = () => host.requests.filter((r) => r.path.startsWith('/redirect/') || r.path.startsWith('/x/')).length;
    runner.start();
    try {
      await runner.idle();
      const servedAtEnd = served();
      for (const j of jobs) {
        const done = (await queue.get(j.jobId))!;
        expect(done).toMatchObject({ status: 'failed', attempt: 1, nextRunAt: null, error: { category: 'validation' } });
      }
      expect((await queue.get(jobs[0]!.jobId))!.error!.message).toMatch(/refused a redirect to file:\/\/\/etc\/passwd/);
      expect((await queue.get(jobs[1]!.jobId))!.error!.message).toMatch(/refused a file:\/\/ URL/);
      const lines = (await outbox.peek(100, Number.MAX_SAFE_INTEGER))
        .map((e) => e.update)
        .filter((u) => u.status === 'failed')
        .map((u) => `${u.rowId} ${u.error?.source}#${u.error?.attempt} ${u.error?.category}`);
      expect(lines.sort()).toEqual(['2 youtube#1 validation', '3 youtube#1 validation']);
      // nothing comes back later: the links are not fetched again
      await new Promise((r) => setTimeout(r, 1000));
      expect(served()).toBe(servedAtEnd);
      expect(await queue.openCount()).toBe(0);
    } finally {
      await runner.stop();
      await queue.close();
    }
  }, 60_000);
});
