/**
 * `sheet-archiver doctor`: checks yt-dlp (version, age), the JS runtime, cookies, plugins, ffmpeg,
 * storage, disk and Google credentials, and says what to do about each failure or warning.
 * `--probe URL` also fetches one link's metadata and classifies the outcome. Exit code 1 when a
 * required check (or the probe) fails.
 */
import { checkDisk, checkFfmpeg, checkStorage, type CheckResult } from '../../health/checks.js';
import { probeLink, type ProbeOutcome } from '../../health/probe.js';
import { toolChecks } from '../../health/tools.js';
import { toolConfigFromEnv } from '../../sources/ytdlp/toolArgs.js';
import { googleFromConfig, storeFromConfig } from '../../system.js';
import { UsageError, configWith } from '../context.js';
import { formatTable, printJson } from '../output.js';

export interface DoctorOptions {
  fileId?: string;
  spreadsheetId?: string;
  /** check a deployed worker instead of this machine (health/remoteWorker.ts) */
  workerUrl?: string;
  /** that worker's secret; default ARCHIVER_SECRET */
  secret?: string;
  /** accept a certificate that does not verify */
  insecure?: boolean;
  /** a link to fetch the metadata of, through the host guard */
  probe?: string;
  /** hosts allowed besides YouTube for the probe, added to ARCHIVER_ALLOWED_HOSTS */
  allowHost?: string[];
  json?: boolean;
}

function probeCheck(p: ProbeOutcome): CheckResult {
  const found = p.ok
    ? [
        p.extractor,
        p.id,
        p.title ? `"${p.title}"` : undefined,
        p.entries !== undefined ? `${p.entries} entries` : undefined,
        p.mediaFormats !== undefined ? `${p.mediaFormats} formats` : undefined,
      ]
        .filter(Boolean)
        .join(' ')
    : `${p.category}: ${p.message}`;
  return p.ok
    ? { name: 'probe', ok: true, detail: found, ...(p.warnings[0] ? { warning: p.warnings[0] } : {}) }
    : { name: 'probe', ok: false, detail: found, hint: 'see docs/youtube.md for this message' };
}

async function googleChecks(o: DoctorOptions): Promise<CheckResult[]> {
  const config = configWith();
  const e = config.env;
  const creds = await googleFromConfig(config);
  if (!creds.auth) {
    return [
      {
        name: 'google credentials',
        ok: true,
        detail: 'none: Drive works for public links only, Sheets write-back is off',
        hint: 'see docs/google-setup.md to add a service account',
      },
    ];
  }
  const out: CheckResult[] = [];
  const { checkDriveAccess } = await import('../../sources/drive/index.js');
  try {
    const report = await checkDriveAccess({
      auth: creds.auth,
      ...(e.GOOGLE_DRIVE_ROOT_URL ? { rootUrl: e.GOOGLE_DRIVE_ROOT_URL } : {}),
      ...(e.GOOGLE_IMPERSONATE_SUBJECT ? { subject: e.GOOGLE_IMPERSONATE_SUBJECT } : {}),
      ...(o.fileId ? { fileId: o.fileId } : {}),
      timeoutMs: 15_000,
    });
    out.push({
      name: 'google drive',
      ok: true,
      detail: `acting as ${report.user.emailAddress ?? 'service account'}${report.file ? `; can see "${report.file.name}" (${report.file.canDownload === false ? 'download not allowed' : 'downloadable'})` : ''}`,
    });
  } catch (err) {
    out.push({
      name: 'google drive',
      ok: false,
      detail: (err as Error).message,
      hint: 'check the key file, the Drive API being enabled, and that the file is shared with the service account',
    });
  }
  if (o.spreadsheetId) {
    try {
      const { sheets } = await import('googleapis/build/src/apis/sheets/index.js');
      const api = sheets({ version: 'v4', auth: creds.auth, ...(e.GOOGLE_SHEETS_ROOT_URL ? { rootUrl: e.GOOGLE_SHEETS_ROOT_URL } : {}) });
      const res = await api.spreadsheets.get({ spreadsheetId: o.spreadsheetId, fields: 'properties.title' }, { timeout: 15_000 });
      out.push({ name: 'google sheets', ok: true, detail: `can open "${res.data.properties?.title ?? o.spreadsheetId}"` });
    } catch (err) {
      out.push({
        name: 'google sheets',
        ok: false,
        detail: (err as Error).message,
        hint: 'share the sheet with the service account as an editor, and enable the Sheets API',
      });
    }
  }
  return out;
}

async function localChecks(o: DoctorOptions): Promise<CheckResult[]> {
  const config = configWith();
  const store = await storeFromConfig(config);
  const e = config.env;
  const results = (await Promise.all([toolChecks(e), checkFfmpeg(), checkStorage(store), checkDisk(config.dataDir)])).flat();
  results.push(...(await googleChecks(o)));
  return results;
}

async function remoteChecks(o: DoctorOptions & { workerUrl: string }): Promise<CheckResult[]> {
  const { checkRemoteWorker } = await import('../../health/remoteWorker.js');
  const secret = o.secret ?? process.env['ARCHIVER_SECRET'];
  return checkRemoteWorker({ url: o.workerUrl, ...(secret ? { secret } : {}), insecure: Boolean(o.insecure) });
}

export async function doctorAction(o: DoctorOptions): Promise<void> {
  if (!o.workerUrl && (o.secret !== undefined || o.insecure)) throw new UsageError('--secret and --insecure go with --worker-url <url>');
  const results = o.workerUrl ? await remoteChecks({ ...o, workerUrl: o.workerUrl }) : await localChecks(o);
  let probe: ProbeOutcome | undefined;
  if (o.probe) {
    const config = configWith();
    const e = config.env;
    const allowedHosts = [...config.allowedHosts, ...(o.allowHost ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean)];
    probe = await probeLink(o.probe, {
      allowedHosts,
      toolConfig: toolConfigFromEnv(e),
      ...(e.YTDLP_PATH ? { ytdlpPath: e.YTDLP_PATH } : {}),
    });
    results.push(probeCheck(probe));
  }
  if (o.json) printJson({ ok: results.every((r) => r.ok), checks: results, ...(probe ? { probe } : {}) });
  else {
    const mark = (r: CheckResult) => (!r.ok ? '✘' : r.warning ? '!' : '✔');
    process.stdout.write(
      formatTable(
        ['check', 'ok', 'found', 'what to do'],
        results.map((r) => [r.name, mark(r), r.detail, !r.ok ? (r.hint ?? '') : (r.warning ?? '')]),
      ) + '\n',
    );
    // the table cuts long cells: say each thing to do in full below it
    const todo = results.map((r) => [r.name, !r.ok ? r.hint : r.warning] as const).filter(([, t]) => t && t.length > 60);
    if (todo.length) process.stdout.write('\n' + todo.map(([n, t]) => `${n}: ${t}`).join('\n') + '\n');
    const warned = results.filter((r) => r.ok && r.warning).length;
    process.stdout.write(
      !results.every((r) => r.ok)
        ? '\nSome checks failed: see "what to do".\n'
        : warned
          ? `\nAll checks passed, ${warned} with a warning: see "what to do".\n`
          : '\nAll checks passed.\n',
    );
  }
  if (!results.every((r) => r.ok)) process.exitCode = 1;
}
