/**
 * `sheet-archiver watch`: a live view of a running `serve`'s jobs (docs/design.md §9), from its
 * signed `/v1/events` stream. On a terminal, one progress bar per running job (cli-progress);
 * otherwise one plain line per event on stderr; with `--json`, one event per line (JSON Lines)
 * on stdout. Reconnects with Last-Event-ID, so nothing is missed across a worker restart.
 */
import cliProgress from 'cli-progress';
import { EventStreamRefused, watchEvents } from '../../events/sseClient.js';
import type { ArchiverEvent, EventFilter } from '../../events/types.js';
import { UsageError } from '../context.js';
import { formatBytes } from '../output.js';

export interface WatchCliOptions {
  rowId?: string;
  jobId?: string;
  spreadsheetId?: string;
  url?: string;
  lastEventId?: number;
  json?: boolean;
}

/** One line about an event, for logs and the TTY view. */
export function describeEvent(e: ArchiverEvent): string {
  const d = e.data as {
    percent?: number;
    bytes?: number;
    stage?: string;
    attempt?: number;
    error?: { category: string; message: string } | null;
    retrying?: boolean;
    files?: string[];
  };
  const who = `row ${e.rowId ?? '?'} ${e.source ?? ''} ${e.jobId ?? ''}`.replace(/\s+/g, ' ').trim();
  switch (e.type) {
    case 'job.progress':
      return `${who} ${d.percent ?? 0}%${d.bytes !== undefined ? ` ${formatBytes(d.bytes)}` : ''}${d.stage ? ` ${d.stage}` : ''}`;
    case 'job.completed':
      return `${who} completed — ${d.files?.length ?? 0} file(s)`;
    case 'job.failed':
      return `${who} failed${d.retrying ? ' (retrying)' : ''}${d.error ? ` — ${d.error.category}: ${d.error.message}` : ''}`;
    case 'job.started':
      return `${who} started (attempt ${d.attempt ?? 1})`;
    default:
      return `${who} ${e.type.replace(/^job\./, '')}`;
  }
}

export async function watchAction(o: WatchCliOptions): Promise<void> {
  const secret = process.env['ARCHIVER_SECRET'];
  if (!secret) throw new UsageError('ARCHIVER_SECRET is not set: watch signs its requests with the worker’s secret');
  const baseUrl = o.url ?? `http://127.0.0.1:${process.env['PORT'] || 8080}`;
  if (!/^https?:\/\/[^/]+\/?$/.test(baseUrl)) throw new UsageError(`--url: "${baseUrl}" is not http(s)://host[:port]`);
  const filter: EventFilter = {
    ...(o.rowId ? { rowId: o.rowId } : {}),
    ...(o.jobId ? { jobId: o.jobId } : {}),
    ...(o.spreadsheetId ? { spreadsheetId: o.spreadsheetId } : {}),
  };
  const ac = new AbortController();
  const stopOn = () => ac.abort();
  process.once('SIGINT', stopOn);
  process.once('SIGTERM', stopOn);

  const tty = !o.json && process.stderr.isTTY;
  const multi = tty
    ? new cliProgress.MultiBar(
        { stream: process.stderr, format: '{who} |{bar}| {percentage}% {detail}', barsize: 24, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const bars = new Map<string, cliProgress.SingleBar>();
  const onEvent = (e: ArchiverEvent) => {
    if (o.json) return void process.stdout.write(JSON.stringify(e) + '\n');
    if (!multi) return void process.stderr.write(`${e.at} ${describeEvent(e)}\n`);
    const key = e.jobId ?? '';
    const who = `row ${e.rowId} ${e.source}`.slice(0, 30).padEnd(30);
    if (e.type === 'job.started' || e.type === 'job.queued' || e.type === 'job.progress') {
      let bar = bars.get(key);
      if (!bar) bars.set(key, (bar = multi.create(100, 0, { who, detail: '' })));
      const pct = e.type === 'job.progress' ? Number((e.data as { percent?: number }).percent ?? 0) : 0;
      bar.update(pct, { who, detail: e.type === 'job.queued' ? 'queued' : describeEvent(e).replace(/^.*?% ?/, '') });
    } else {
      const bar = bars.get(key);
      if (bar) {
        multi.remove(bar);
        bars.delete(key);
      }
      multi.log(`${describeEvent(e)}\n`);
    }
  };
  try {
    await watchEvents({
      baseUrl,
      secret,
      filter,
      ...(o.lastEventId !== undefined ? { lastEventId: o.lastEventId } : {}),
      signal: ac.signal,
      onEvent,
      onOpen: ({ reconnect }) => {
        if (!o.json) process.stderr.write(`${reconnect ? 'reconnected to' : 'watching'} ${baseUrl} (Ctrl-C to stop)\n`);
      },
      onError: (err) => {
        if (!o.json) process.stderr.write(`connection lost (${err.message}); reconnecting…\n`);
      },
    });
  } catch (err) {
    if (err instanceof EventStreamRefused) throw new UsageError(`the worker refused the event stream: ${err.message}`);
    throw err;
  } finally {
    multi?.stop();
  }
}
