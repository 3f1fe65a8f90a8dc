/**
 * `sheet-archiver verify [--row-id ID…] [--sample 0.1] [--json] [--repair] [--delete-orphans]`:
 * re-reads stored objects and compares them with metadata.json and the catalogue (docs/catalogue.md
 * "Check it is intact"). Exit 1 when anything is wrong, 0 when clean.
 *
 * --repair runs the re-download jobs here and now, like `run` does (its own queue file,
 * `<ARCHIVER_DATA>/repair.db`, so an interrupted repair resumes at the next `verify --repair` and
 * never waits behind, or takes, a serve's backlog), then verifies the repaired rows again.
 */
import cliProgress from 'cli-progress';
import { join } from 'node:path';
import { catalogueTarget, openCatalogueFor } from '../../catalogue/index.js';
import { verifyArchive, type Finding, type VerifyReport } from '../../catalogue/verify.js';
import { prepareRepair, type RepairPlan } from '../../catalogue/verifyRepair.js';
import { createSystem, storeFromConfig } from '../../system.js';
import { cliLogger, configWith, UsageError } from '../context.js';
import { formatBytes, formatTable, printJson } from '../output.js';

export interface VerifyCliOptions {
  rowId?: string[];
  sample?: string;
  json?: boolean;
  repair?: boolean;
  deleteOrphans?: boolean;
  concurrency?: number;
  out?: string;
}

/** Parses `--sample`: a fraction in (0, 1]. @throws UsageError naming the flag */
export function parseSample(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new UsageError(`--sample: "${value}" is not a fraction above 0 and at most 1 (0.1 reads a tenth of the files)`);
  return n;
}

/** A bytes bar on a TTY; plain lines (one per finding, one per 100 files) otherwise. */
function progressFor(quiet: boolean) {
  const stream = process.stderr;
  if (quiet) return { onPlan() {}, onBytes() {}, onFile() {}, stop() {} };
  if (!stream.isTTY) {
    let files = 0;
    let planned = 0;
    return {
      onPlan: (p: { files: number; bytes: number }) => {
        planned = p.files;
        stream.write(`verify: reading ${p.files} file(s), ${formatBytes(p.bytes)}\n`);
      },
      onBytes() {},
      onFile: (key: string, f: Finding | null) => {
        files++;
        if (f) stream.write(`verify: ${f.kind} ${key} — ${f.detail}\n`);
        else if (files % 100 === 0) stream.write(`verify: ${files}/${planned} file(s) checked\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'verifying |{bar}| {percentage}% | {value_h}/{total_h} | {problems} problem(s)',
      barsize: 28,
      hideCursor: true,
      formatValue: (v, _o, t) => (t === 'value' || t === 'total' ? formatBytes(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let problems = 0;
  let started = false;
  return {
    onPlan: (p: { files: number; bytes: number }) => {
      bar.start(Math.max(1, p.bytes), 0, { problems, value_h: formatBytes(0), total_h: formatBytes(p.bytes) });
      started = true;
    },
    onBytes: (n: number) => {
      done += n;
      if (started) bar.update(done, { value_h: formatBytes(done) });
    },
    onFile: (_key: string, f: Finding | null) => {
      if (f) problems++;
      if (started) bar.update(done, { problems });
    },
    stop: () => started && bar.stop(),
  };
}

function printReport(r: VerifyReport, where: string): void {
  const counts = (k: Finding['kind']) => r.findings.filter((f) => f.kind === k).length;
  const out = [
    `Verified ${where}: ${r.metadataFiles} metadata.json file(s), ${r.listedFiles} file(s) listed (${formatBytes(r.listedBytes)}); ` +
      `read ${r.checkedFiles} file(s), ${formatBytes(r.checkedBytes)} in ${(r.ms / 1000).toFixed(1)} s.`,
  ];
  if (r.findings.length === 0) out.push('Everything is intact.');
  else {
    out.push(
      `${counts('missing')} missing, ${counts('corrupt')} corrupt, ${counts('orphan')} orphaned, ${counts('uncatalogued')} not in the catalogue, ${counts('catalogue_only')} only in the catalogue:`,
      formatTable(
        ['problem', 'row_id', 'key', 'detail'],
        r.findings.map((f) => [f.kind, f.rowId ?? '', f.key, f.detail]),
      ),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** `verify` as commander calls it; sets process.exitCode (1: problems remain). */
export async function verifyAction(o: VerifyCliOptions): Promise<void> {
  const sample = parseSample(o.sample);
  if (o.repair && sample < 1)
    throw new UsageError('--repair reads every file; leave out --sample (or verify a sample first, then --repair)');
  if (o.deleteOrphans && !o.repair) throw new UsageError('--delete-orphans goes with --repair');
  const config = configWith({ ARCHIVER_ARCHIVE_DIR: o.out });
  const log = cliLogger('error');
  const store = await storeFromConfig(config);
  const catalogue = await openCatalogueFor(store, catalogueTarget(config), log);
  const rowIds = o.rowId?.length ? o.rowId : undefined;
  const verify = async (ids: string[] | undefined, s: number) => {
    const progress = progressFor(Boolean(o.json));
    try {
      return await verifyArchive(store, {
        prefix: config.env.ARCHIVER_PREFIX,
        sample: s,
        catalogue,
        ...(ids ? { rowIds: ids } : {}),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        ...progress,
      });
    } finally {
      progress.stop();
    }
  };
  let report: VerifyReport;
  let plan: RepairPlan | null = null;
  let after: VerifyReport | null = null;
  const jobs: { rowId: string; source: string; status: string; error?: string }[] = [];
  try {
    report = await verify(rowIds, sample);
    if (!o.json) printReport(report, store.describe());
    if (o.repair && report.findings.length) {
      plan = await prepareRepair(store, catalogue, report.findings, { deleteOrphans: o.deleteOrphans });
    }
  } finally {
    await catalogue.close();
  }
  if (plan && plan.jobs.length) {
    if (!o.json) process.stderr.write(`verify: downloading ${plan.jobs.length} item(s) again…\n`);
    const system = await createSystem({ config, log, queuePath: join(config.dataDir, 'repair.db') });
    await system.queue.enqueue(plan.jobs);
    system.reporter.start();
    system.runner.start();
    await system.runner.idle();
    for (const j of (await system.queue.list({ limit: 500 })).jobs) {
      if (j.dispatchId === plan.jobs[0]!.dispatchId)
        jobs.push({
          rowId: j.rowId,
          source: j.source,
          status: j.status,
          ...(j.error ? { error: `${j.error.category}: ${j.error.message}` } : {}),
        });
    }
    await system.close();
  }
  if (plan) {
    // what the repair touched, verified again (the orphans stay unless --delete-orphans)
    const again = await openCatalogueFor(store, catalogueTarget(config), log);
    try {
      after = await verifyArchive(store, { prefix: config.env.ARCHIVER_PREFIX, catalogue: again, ...(rowIds ? { rowIds } : {}) });
    } finally {
      await again.close();
    }
    if (!o.json) {
      process.stdout.write(
        `\nRepair: ${plan.jobs.length} item(s) downloaded again (${jobs.filter((j) => j.status === 'completed').length} completed), ` +
          `${plan.catalogued} metadata.json applied to the catalogue, ${plan.pruned} catalogue asset(s) removed, ${plan.orphansDeleted} orphan(s) deleted.\n`,
      );
      for (const j of jobs.filter((x) => x.status !== 'completed'))
        process.stdout.write(`  row ${j.rowId} ${j.source} ${j.status}${j.error ? ` — ${j.error}` : ''}\n`);
      for (const u of plan.unrepaired) process.stdout.write(`  not repaired: ${u.key} — ${u.reason}\n`);
      process.stdout.write('After the repair:\n');
      printReport(after, store.describe());
    }
  }
  if ('destroy' in store && typeof store.destroy === 'function') (store as { destroy(): void }).destroy();
  const final = after ?? report;
  if (o.json) printJson({ storage: store.describe(), ...report, ...(plan ? { repair: { ...plan, jobs, after } } : {}) });
  process.exitCode = final.findings.length ? 1 : 0;
}
