/**
 * Progress on stderr while `run` archives: a live bar on a TTY (cli-progress), plain lines
 * otherwise (CI logs, pipes), one per finished job.
 */
import cliProgress from 'cli-progress';
import type { JobRecord } from '../../../shared/schemas.js';
import type { RunnerEvent } from '../pipeline/runner.js';

export interface ProgressView {
  onEvent(e: RunnerEvent): void;
  stop(): void;
}

function describe(job: JobRecord): string {
  const what =
    job.status === 'completed'
      ? `${job.files.filter((f) => !f.endsWith('/metadata.json')).length} file(s)`
      : job.error
        ? `${job.error.category}: ${job.error.message}`
        : '';
  return `row ${job.rowId} ${job.source} ${job.status}${what ? ` — ${what}` : ''}`;
}

/**
 * @param total jobs in this run
 * @param stream where to draw (stderr)
 */
export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  let done = 0;
  const fractions = new Map<string, number>();
  const overall = () => (done + [...fractions.values()].reduce((a, b) => a + b, 0)) / Math.max(1, total);
  if (!stream.isTTY) {
    return {
      onEvent(e) {
        if (e.type === 'finished' && e.job.status !== 'retrying') {
          done++;
          stream.write(`[${done}/${total}] ${describe(e.job)}\n`);
        } else if (e.type === 'finished') {
          stream.write(`[retry] ${describe(e.job)} — retrying\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'archiving |{bar}| {percentage}% | {done}/{jobs} jobs | {current}',
      barsize: 28,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { done: 0, jobs: total, current: '' });
  return {
    onEvent(e) {
      if (e.type === 'progress') fractions.set(e.job.jobId, e.progress.fraction);
      if (e.type === 'started') fractions.set(e.job.jobId, 0);
      if (e.type === 'finished') {
        fractions.delete(e.job.jobId);
        if (e.job.status !== 'retrying') done++;
      }
      bar.update(Math.round(overall() * 1000), {
        done,
        current: e.type === 'finished' ? describe(e.job).slice(0, 60) : `row ${e.job.rowId} ${e.job.source}`,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
