/**
 * `sheet-archiver doctor`: checks yt-dlp, ffmpeg, storage, disk and Google credentials, and says
 * what to do about each failure. Exit code 1 when a required check fails.
 */
import { checkDisk, checkFfmpeg, checkStorage, checkYtDlp, type CheckResult } from '../../health/checks.js';
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
  json?: boolean;
}

async function googleChecks(o: DoctorOptions): Promise<CheckResult[]> {
  const config = configWith();
  const e = config.env;
  const creds = await googleFromConfig(config);
  if (!creds.auth) {
    return [{ name: 'google credentials', ok: true, detail: 'none: Drive works for public links only, Sheets write-back is off', hint: 'see docs/google-setup.md to add a service account' }];
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
    out.push({ name: 'google drive', ok: true, detail: `acting as ${report.user.emailAddress ?? 'service account'}${report.file ? `; can see "${report.file.name}" (${report.file.canDownload === false ? 'download not allowed' : 'downloadable'})` : ''}` });
  } catch (err) {
    out.push({ name: 'google drive', ok: false, detail: (err as Error).message, hint: 'check the key file, the Drive API being enabled, and that the file is shared with the service account' });
  }
  if (o.spreadsheetId) {
    try {
      const { sheets } = await import('googleapis/build/src/apis/sheets/index.js');
      const api = sheets({ version: 'v4', auth: creds.auth, ...(e.GOOGLE_SHEETS_ROOT_URL ? { rootUrl: e.GOOGLE_SHEETS_ROOT_URL } : {}) });
      const res = await api.spreadsheets.get({ spreadsheetId: o.spreadsheetId, fields: 'properties.title' }, { timeout: 15_000 });
      out.push({ name: 'google sheets', ok: true, detail: `can open "${res.data.properties?.title ?? o.spreadsheetId}"` });
    } catch (err) {
      out.push({ name: 'google sheets', ok: false, detail: (err as Error).message, hint: 'share the sheet with the service account as an editor, and enable the Sheets API' });
    }
  }
  return out;
}

async function localChecks(o: DoctorOptions): Promise<CheckResult[]> {
  const config = configWith();
  const store = await storeFromConfig(config);
  return [...(await Promise.all([checkYtDlp(), checkFfmpeg(), checkStorage(store), checkDisk(config.dataDir)])), ...(await googleChecks(o))];
}

async function remoteChecks(o: DoctorOptions & { workerUrl: string }): Promise<CheckResult[]> {
  const { checkRemoteWorker } = await import('../../health/remoteWorker.js');
  const secret = o.secret ?? process.env['ARCHIVER_SECRET'];
  return checkRemoteWorker({ url: o.workerUrl, ...(secret ? { secret } : {}), insecure: Boolean(o.insecure) });
}

export async function doctorAction(o: DoctorOptions): Promise<void> {
  if (!o.workerUrl && (o.secret !== undefined || o.insecure)) throw new UsageError('--secret and --insecure go with --worker-url <url>');
  const results = o.workerUrl ? await remoteChecks({ ...o, workerUrl: o.workerUrl }) : await localChecks(o);
  if (o.json) printJson({ ok: results.every((r) => r.ok), checks: results });
  else {
    process.stdout.write(formatTable(['check', 'ok', 'found', 'what to do'], results.map((r) => [r.name, r.ok ? '✔' : '✘', r.detail, r.ok ? '' : (r.hint ?? '')])) + '\n');
    process.stdout.write(results.every((r) => r.ok) ? '\nAll checks passed.\n' : '\nSome checks failed: see "what to do".\n');
  }
  if (!results.every((r) => r.ok)) process.exitCode = 1;
}
