/**
 * Health report build time (issue 11 item 2) with 100,000 jobs in the queue, 90 % finished over
 * 48 h: `npx tsx bench/report.ts`. Prints the median and worst of 10 reports, ms.
 */
import { SqliteJobBackend } from '../worker/src/jobs/sqlite.js';
import { buildReport, DEFAULT_THRESHOLDS } from '../worker/src/alerts/index.js';
import { newJob } from '../test/jobs/helpers.js';
const q = new SqliteJobBackend(':memory:', { synchronous: 'NORMAL' });
const now = Date.now();
const N = 100_000;
q.db.transaction(() => {
  for (let i = 0; i < N; i += 500) q.enqueue(Array.from({ length: 500 }, () => newJob()));
})();
// finish 90 %: spread over 48 h, 15 % of them failed
q.db.exec(`UPDATE jobs SET status = CASE WHEN seq % 7 = 0 THEN 'failed' ELSE 'completed' END, ready_at = NULL,
  finished_at = ${now} - (seq * 1727) % ${48 * 3600_000}, error = CASE WHEN seq % 7 = 0 THEN '{"category":"not_found","message":"HTTP Error 404"}' END
  WHERE seq % 10 != 0`);
const d = {
  queue: q,
  dataDir: '/tmp',
  thresholds: DEFAULT_THRESHOLDS,
  freeBytes: async () => 1e12,
  ytdlp: async () => ({ version: null, ageDays: null }),
};
await buildReport(d);
const t: number[] = [];
for (let i = 0; i < 10; i++) {
  const s = performance.now();
  await buildReport(d);
  t.push(performance.now() - s);
}
t.sort((a, b) => a - b);
const r = await buildReport(d);
console.log(
  JSON.stringify({
    jobs: N,
    medianMs: t[5]!.toFixed(1),
    maxMs: t[9]!.toFixed(1),
    status: r.status,
    pending: r.jobs.pending,
    failures: r.failures,
  }),
);
