/**
 * A quick Drive access check for `sheet-archiver doctor`: are the credentials accepted, and can
 * they see a given file or folder?
 */
import { ArchiveError } from '../../errors.js';
import { applySubject, callOptions, createDriveApi } from './client.js';
import { isAbortError, mapDriveError } from './errors.js';
import type { DriveAuth } from './types.js';

export interface DriveAccessReport {
  /** who the credentials act as (about.get `user`) */
  user: { emailAddress?: string; displayName?: string };
  /** the checked item, when `fileId` was given */
  file?: { id: string; name: string; mimeType: string; canDownload: boolean | null };
}

/**
 * Checks Drive credentials with about.get (https://developers.google.com/drive/api/reference/rest/v3/about/get,
 * `fields=user`) and, when `fileId` is given, files.get on it (supportsAllDrives, the resource key
 * sent in X-Goog-Drive-Resource-Keys).
 * @param opts.timeoutMs abort after this long; default 15 000.
 * @throws ArchiveError: permission (credentials rejected, or the file is not shared with them),
 *   not_found, network, rate_limit, quota — as mapDriveError maps them.
 */
export async function checkDriveAccess(opts: {
  auth: DriveAuth;
  rootUrl?: string;
  subject?: string;
  fileId?: string;
  resourceKey?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<DriveAccessReport> {
  applySubject(opts.auth, opts.subject);
  const drive = createDriveApi(opts.auth, opts.rootUrl);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (isAbortError(err) && timeout.aborted && !opts.signal?.aborted) {
        throw new ArchiveError('network', `${what}: no answer from Drive within ${Math.round((opts.timeoutMs ?? 15_000) / 1000)} s`, {
          cause: err,
        });
      }
      if (isAbortError(err)) throw err;
      throw mapDriveError(err, what);
    }
  };
  const about = await call('Drive about.get', () => drive.about.get({ fields: 'user(emailAddress,displayName)' }, callOptions({ signal })));
  const report: DriveAccessReport = {
    user: {
      ...(about.data.user?.emailAddress ? { emailAddress: about.data.user.emailAddress } : {}),
      ...(about.data.user?.displayName ? { displayName: about.data.user.displayName } : {}),
    },
  };
  if (opts.fileId) {
    const keys = new Map(opts.resourceKey ? [[opts.fileId, opts.resourceKey]] : []);
    const f = await call(`Drive files.get ${opts.fileId}`, () =>
      drive.files.get(
        { fileId: opts.fileId!, fields: 'id,name,mimeType,capabilities(canDownload)', supportsAllDrives: true },
        callOptions({ keys, signal }),
      ),
    );
    report.file = {
      id: f.data.id ?? opts.fileId,
      name: f.data.name ?? '',
      mimeType: f.data.mimeType ?? '',
      canDownload: f.data.capabilities?.canDownload ?? null,
    };
  }
  return report;
}
