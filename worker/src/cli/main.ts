/**
 * The `sheet-archiver` command line (commander). Exit codes: 0 done (a run with failed rows is
 * still done), 1 a check or lookup found problems, 2 could not run (bad input or configuration).
 */
import { Command, CommanderError, Option } from 'commander';
import { ASSET_KINDS } from '../catalogue/schema.js';
import { ArchiveError } from '../errors.js';
import { VERSION } from '../version.js';
import { UsageError, nonNegativeInt, parseSources, portNumber, positiveInt } from './context.js';

// Each command's module (and what it pulls in: SQLite, googleapis, the AWS SDK) loads only when
// that command runs, so --help, --version and the quick commands start fast.
const commands = {
  catalogue: () => import('./commands/catalogue.js'),
  dashboard: () => import('./commands/dashboard.js'),
  doctor: () => import('./commands/doctor.js'),
  download: () => import('./commands/download.js'),
  erase: () => import('./commands/erase.js'),
  lookup: () => import('./commands/lookup.js'),
  report: () => import('./commands/report.js'),
  reset: () => import('./commands/reset.js'),
  run: () => import('./commands/run.js'),
  runs: () => import('./commands/runs.js'),
  serve: () => import('./commands/serve.js'),
  sheet: () => import('./commands/sheet.js'),
  updateTools: () => import('./commands/updateTools.js'),
  verify: () => import('./commands/verify.js'),
  watch: () => import('./commands/watch.js'),
  webhooks: () => import('./commands/webhooks.js'),
  work: () => import('./commands/work.js'),
};

const collect = (value: string, previous: string[]) => [...previous, value];
const json = new Option('--json', 'print JSON instead of a table');

const program = new Command('sheet-archiver')
  .description('Archive the media linked from each row of a sheet (YouTube, Drive) with per-row status.')
  .version(VERSION)
  .showHelpAfterError()
  // usage errors (unknown option, missing argument) exit 2 like every other "could not run"
  .exitOverride();

program
  .command('serve')
  .description('run the worker: signed HTTP API, durable queue, downloads, status write-back')
  .option('--port <n>', 'port to listen on; 0 picks a free one (env PORT, default 8080)', portNumber('--port'))
  .option('--host <addr>', 'address to listen on (env HOST, default 0.0.0.0)')
  .option('--no-runner', 'API only: accept dispatches and serve the admin routes, run no jobs (run `work` processes for them)')
  .addHelpText(
    'after',
    '\nSIGTERM/SIGINT: stop leasing, let running jobs finish within ARCHIVER_SHUTDOWN_S (default 30), hand back the rest, flush statuses, exit 0.',
  )
  .action(async (o) => (await commands.serve()).serveAction(o));

program
  .command('work')
  .description('run jobs only: runner and status write-back, no HTTP API (METRICS_PORT adds a /metrics listener); see docs/scaling.md')
  .addHelpText(
    'after',
    '\nSIGTERM/SIGINT: stop leasing, let running jobs finish within ARCHIVER_SHUTDOWN_S (default 30), hand back the rest, flush statuses, exit 0.',
  )
  .action(async () => (await commands.work()).workAction());

program
  .command('run')
  .description('archive a CSV sheet in one process: add tracking columns, archive pending rows, write statuses back')
  .argument('<sheet.csv>', 'the sheet, as a CSV file with a row_id column')
  .option('--out <dir>', 'archive folder (default $ARCHIVER_DATA/archive)')
  .option('--allow-host <host[:port]>', 'also archive links on this host with yt-dlp (repeatable)', collect, [])
  .option('--sources <list>', 'youtube, drive, or youtube,drive', 'youtube,drive')
  .option('--max <n>', 'archive at most this many rows', positiveInt('--max'))
  .option('--concurrency <n>', 'jobs at once (default $ARCHIVER_CONCURRENCY or 3)', positiveInt('--concurrency'))
  .option('--retry-failed', 'also retry failed rows up to the manual limit (10 attempts)')
  .option('--transcript-only', 'archive subtitles and info only, no video')
  .option('--max-height <px>', 'highest video resolution to fetch (default 1080)', positiveInt('--max-height'))
  .addOption(json)
  .action(async (sheet: string, o: Record<string, unknown>) =>
    (await commands.run()).runAction(sheet, {
      out: o['out'] as string | undefined,
      allowHost: o['allowHost'] as string[],
      sources: parseSources(o['sources'] as string),
      max: o['max'] as number | undefined,
      concurrency: o['concurrency'] as number | undefined,
      retryFailed: Boolean(o['retryFailed']),
      transcriptOnly: Boolean(o['transcriptOnly']),
      maxHeight: o['maxHeight'] as number | undefined,
      json: Boolean(o['json']),
    }),
  );

program
  .command('status')
  .description("counts of each source's statuses in a CSV sheet")
  .argument('<sheet.csv>')
  .addOption(json)
  .action(async (p, o) => (await commands.sheet()).statusAction(p, o));
program
  .command('pending')
  .description('rows `run` would archive now')
  .argument('<sheet.csv>')
  .addOption(json)
  .action(async (p, o) => (await commands.sheet()).pendingAction(p, o));
program
  .command('failed')
  .description('failed rows with their errors and what to do')
  .argument('<sheet.csv>')
  .addOption(json)
  .action(async (p, o) => (await commands.sheet()).failedAction(p, o));
program
  .command('validate')
  .description('check headers, row_ids and links; exit 1 when there are problems')
  .argument('<sheet.csv>')
  .addOption(json)
  .action(async (p, o) => (await commands.sheet()).validateAction(p, o));

program
  .command('reset')
  .description('make rows pending again by clearing their tracking cells for a source')
  .argument('<sheet.csv>')
  .requiredOption('--row-id <id>', 'row_id to reset (repeatable)', collect, [])
  .option('--source <source>', 'youtube, drive or both', 'both')
  .addOption(json)
  .action(async (p, o) => (await commands.reset()).resetAction(p, o));

program
  .command('lookup')
  .description('which row an archived file came from')
  .argument('<key|path>', 'an object key or a path inside the archive folder')
  .option('--out <dir>', 'archive folder (default $ARCHIVER_DATA/archive)')
  .addOption(json)
  .action(async (k, o) => (await commands.lookup()).lookupAction(k, o));

const catalogue = program.command('catalogue').description('the catalogue of people, assets and sessions (docs/catalogue.md)');
catalogue
  .command('rebuild')
  .description('rebuild the catalogue from the metadata.json files in storage (local or S3); idempotent')
  .option('--out <dir>', 'archive folder (default $ARCHIVER_DATA/archive)')
  .option('--no-prune', 'keep assets whose metadata.json is gone')
  .addOption(json)
  .action(async (o) => (await commands.catalogue()).rebuildAction(o));
catalogue
  .command('import')
  .description("register a sheet's people: name, email, type and the row's links")
  .argument('<sheet.csv>')
  .option('--spreadsheet-id <id>', 'the Google spreadsheet the CSV was exported from (default: csv:<path>, as `run` uses)')
  .option('--sheet-name <name>', 'sheet (tab) name (default: the file name)')
  .addOption(json)
  .action(async (p, o) => (await commands.catalogue()).importAction(p, o));
catalogue
  .command('export')
  .description("one row per asset with the person's columns (Name/Email/Type → content)")
  .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
  .option('--output <file>', 'write to a file instead of stdout')
  .action(async (o) => (await commands.catalogue()).exportAction(o));

catalogue
  .command('purge')
  .description('hard-delete the files of assets soft-deleted before an age (e.g. 30d)')
  .requiredOption('--older-than <age>', 'soft-deleted at least this long ago: 30d, 12h, 90m, 45s')
  .addOption(json)
  .action(async (o) => (await commands.erase()).purgeAction(o));

program
  .command('erase')
  .description('delete everything archived for a row: soft (hidden, files kept) or --hard (files, catalogue, sheet cells)')
  .requiredOption('--row-id <id>', 'the row_id to erase')
  .option('--spreadsheet <id>', 'the spreadsheet id of the row (a `run` sheet: csv:<absolute path>, or give --csv)')
  .option('--csv <sheet.csv>', 'a `run` sheet: its write-back and queue, and csv:<path> as the spreadsheet')
  .option('--hard', 'delete the files, the catalogue entries, and clear the tracking cells (cannot be undone)')
  .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
  .addOption(json)
  .action(async (o) => (await commands.erase()).eraseAction(o));

program
  .command('people')
  .description('people in the catalogue; with a row_id, that person and everything archived for them')
  .argument('[row_id]')
  .option('--spreadsheet-id <id>', 'only this spreadsheet')
  .option('-q, --q <text>', 'search name, email and row_id')
  .option('--limit <n>', 'at most this many (default 100, max 500)', positiveInt('--limit'))
  .option('--cursor <cursor>', 'the next page, as the previous one printed')
  .addOption(json)
  .action(async (r, o) => (await commands.catalogue()).peopleAction(r, o));

program
  .command('assets')
  .description('archived files in the catalogue; with an asset_id, that asset (and set its tags or note)')
  .argument('[asset_id]')
  .option('--row-id <id>', 'only this row_id')
  .option('--spreadsheet-id <id>', 'only this spreadsheet')
  .addOption(new Option('--source <source>', 'youtube or drive').choices(['youtube', 'drive']))
  .addOption(new Option('--kind <kind>', 'kind of file').choices(ASSET_KINDS))
  .option('--media-id <id>', 'only this media id')
  .option('-q, --q <text>', 'search title, uploader and file name')
  .addOption(new Option('--status <status>', 'stored (default), deleted or all').choices(['stored', 'deleted', 'all']))
  .option('--limit <n>', 'at most this many (default 100, max 500)', positiveInt('--limit'))
  .option('--cursor <cursor>', 'the next page, as the previous one printed')
  .option('--tags <list>', "set the asset's tags (comma-separated; '' clears)")
  .option('--note <text>', "set the asset's note")
  .option('--download [file]', "copy the asset's file here (default: its file name; - for stdout), checking its SHA-256")
  .addOption(json)
  .action(async (a, o) =>
    o.download !== undefined ? (await commands.download()).downloadAction(a, o) : (await commands.catalogue()).assetsAction(a, o),
  );

program
  .command('verify')
  .description('re-read stored files and compare size and SHA-256 with metadata.json and the catalogue; exit 1 when anything is wrong')
  .option('--row-id <id>', 'only this row_id (repeatable)', collect, [])
  .option('--sample <fraction>', 'read only this fraction of the files, at random (0.1: a tenth)')
  .option('--repair', 'download missing and corrupt files again, put what metadata.json says into the catalogue')
  .option('--delete-orphans', 'with --repair: also delete files no metadata.json lists')
  .option('--concurrency <n>', 'files read at once (default 4)', positiveInt('--concurrency'))
  .option('--out <dir>', 'archive folder (default $ARCHIVER_DATA/archive)')
  .addOption(json)
  .action(async (o) => (await commands.verify()).verifyAction(o));

program
  .command('doctor')
  .description('check yt-dlp, the JS runtime, cookies, plugins, ffmpeg, storage, disk and Google credentials')
  .option('--file-id <id>', 'also check that this Drive file is visible')
  .option('--spreadsheet-id <id>', 'also check that this spreadsheet opens')
  .option('--worker-url <url>', 'check a deployed worker instead: https, certificate, /healthz, a signed call')
  .option('--secret <secret>', "that worker's secret for the signed call (default $ARCHIVER_SECRET)")
  .option('--insecure', 'with --worker-url: accept a certificate that does not verify (Apps Script will not)')
  .option('--probe <url>', "also fetch this link's metadata (through the host guard) and classify the outcome")
  .option('--allow-host <host[:port]>', 'for --probe: also allow this host (repeatable), added to ARCHIVER_ALLOWED_HOSTS', collect, [])
  .addOption(json)
  .action(async (o) => (await commands.doctor()).doctorAction(o));

program
  .command('update-tools')
  .description('install the latest yt-dlp release (checked against its SHA2-256SUMS) into the tools folder')
  .option('--dir <path>', 'tools folder (default $ARCHIVER_TOOLS_DIR or ~/.local/share/sheet-archiver/bin)')
  .addOption(json)
  .action(async (o) => (await commands.updateTools()).updateToolsAction(o));

program
  .command('report')
  .description(
    "the worker's health: status, success rates, failure categories, disk, stuck jobs, tool ages, lane pauses, 24 h trend, alerts",
  )
  .option('--since <duration>', 'window of the rates and failure categories (90m, 24h, 7d; at most 30d)', '24h')
  .addOption(json)
  .action(async (o) => (await commands.report()).reportAction(o));

program
  .command('alerts')
  .description('the alerts that hold now, with advice; exit 1 while one holds, 0 when clear (for cron)')
  .option('--since <duration>', 'window for data_corruption and the report readings (default 24h)', '24h')
  .addOption(json)
  .action(async (o) => (await commands.report()).alertsAction(o));

program
  .command('watch')
  .description("live view of a running serve's jobs with progress bars, from its signed event stream")
  .option('--row-id <id>', 'only this row_id')
  .option('--job-id <id>', 'only this job')
  .option('--spreadsheet-id <id>', 'only this spreadsheet')
  .option('--url <url>', 'the worker (default http://127.0.0.1:$PORT, PORT default 8080)')
  .option(
    '--last-event-id <n>',
    'first replay the events after this id from the worker’s log (0: all it keeps)',
    nonNegativeInt('--last-event-id'),
  )
  .addOption(new Option('--json', 'print each event as one JSON line on stdout'))
  .action(async (o) => (await commands.watch()).watchAction(o));

program
  .command('dashboard')
  .description('print a login link to the operator dashboard at /ui, signed with ARCHIVER_SECRET, good for 15 minutes')
  .option('--url <url>', "the worker's address as your browser reaches it (default $ARCHIVER_WORKER_URL, else http://127.0.0.1:$PORT)")
  .addOption(json)
  .action(async (o) => (await commands.dashboard()).dashboardAction(o));
const runs = program
  .command('runs')
  .description('recent runs (each `run`, each dispatch to `serve`) from ARCHIVER_DATA/logs/runs, newest first')
  .option('--limit <n>', 'at most this many runs (default 20)', positiveInt('--limit'))
  .addOption(json)
  .action(async (o) => (await commands.runs()).runsAction(o));
runs
  .command('show')
  .description("one run's summary and every log line of its jobs")
  .argument('<id>', 'the run id (r_… or a dispatch id), as `runs` lists it')
  .option('--follow', 'keep printing new lines until the run ends')
  .addOption(json)
  // `runs` has a --json of its own too: commander hands it to whichever command it reads it with
  .action(async (id, _o, cmd: Command) => (await commands.runs()).runsShowAction(id, cmd.optsWithGlobals()));

const webhooks = program
  .command('webhooks')
  .description('webhook endpoints (ARCHIVER_WEBHOOK_URLS): state, backlog, a signed test (docs/operations.md#webhooks)');
webhooks
  .command('list')
  .description('each endpoint with its event filter, state (enabled, or disabled by a 410) and backlog')
  .addOption(json)
  .action(async (o) => (await commands.webhooks()).listAction(o));
webhooks
  .command('test')
  .description('POST a signed webhook.test event to each endpoint (or --url) and print each answer; exit 1 unless all are 2xx')
  .option('--url <url>', 'send to this URL instead of the configured ones')
  .addOption(json)
  .action(async (o) => (await commands.webhooks()).testAction(o));
webhooks
  .command('enable')
  .description('enable endpoints a 410 disabled (all, or --url)')
  .option('--url <url|id>', 'only this endpoint (its URL or wh_… id)')
  .addOption(json)
  .action(async (o) => (await commands.webhooks()).enableAction(o));

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2); // commander printed the message
  if (err instanceof UsageError || err instanceof ArchiveError) {
    process.stderr.write(`sheet-archiver: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sheet-archiver: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(2);
});
