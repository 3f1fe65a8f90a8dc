/**
 * Installs yt-dlp's official release into the project's tools folder: the standalone `yt-dlp`
 * zipapp (Python zipimport binary, which bundles yt-dlp-ejs) from `<release>/yt-dlp`, checked
 * against the release's `SHA2-256SUMS` (GNU-style "<sha256>  <name>" lines; yt-dlp README,
 * "Release Files"). Used by `npm run setup` and `sheet-archiver update-tools`.
 *
 * The file is written to a temporary name in the same folder, its SHA-256 compared while it
 * streams, run once (`--version`), made executable and only then renamed over `yt-dlp`, so a
 * failed or refused download never replaces a working binary.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The asset installed: the platform-independent zipimport binary (needs python3 ≥ 3.10). */
export const YTDLP_ASSET = 'yt-dlp';

export interface InstallOptions {
  /** base URL holding `yt-dlp` and `SHA2-256SUMS` (tools/dir.ts ytdlpReleaseUrl) */
  releaseUrl: string;
  /** the tools folder (tools/dir.ts toolsDir) */
  dir: string;
  /** ms until the checksum list (and later the binary's headers) must have answered; default 5000 */
  connectTimeoutMs?: number;
  /** ms the whole binary download may take; default 300000 */
  downloadTimeoutMs?: number;
}

export interface InstallResult {
  /** `installed`: a new binary was put in place; `current`: the installed one already matches the release */
  status: 'installed' | 'current';
  path: string;
  /** `yt-dlp --version` of the installed binary */
  version: string;
  sha256: string;
}

/** Why nothing was installed. `unreachable`: the release could not be fetched; `checksum`: refused; `broken`: it does not run. */
export class InstallError extends Error {
  override name = 'InstallError';
  constructor(
    readonly kind: 'unreachable' | 'checksum' | 'broken',
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

/** The SHA-256 of `name` in a SHA2-256SUMS text ("<hex>  <name>" or "<hex> *<name>"), or null. */
export function checksumFor(sums: string, name: string): string | null {
  for (const line of sums.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line);
    if (m && m[2] === name) return m[1]!.toLowerCase();
  }
  return null;
}

/** Node's fetch error as a short reason: the cause's code (ENOTFOUND, ECONNREFUSED) or "timed out". */
function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

async function get(url: string, timeoutMs: number, outer?: AbortSignal): Promise<Response> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  const onOuter = () => ctl.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  try {
    const res = await fetch(url, {
      signal: ctl.signal,
      redirect: 'follow',
      headers: { 'user-agent': 'sheet-archiver-installer' },
    });
    if (!res.ok) throw new InstallError('unreachable', `${url} answered HTTP ${res.status}`);
    return res;
  } catch (err) {
    if (err instanceof InstallError) throw err;
    throw new InstallError('unreachable', `cannot reach ${url}: ${reason(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

async function sha256File(path: string): Promise<string | null> {
  try {
    const h = createHash('sha256');
    await pipeline(createReadStream(path), h);
    return h.digest('hex');
  } catch {
    return null;
  }
}

function version(path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(path, ['--version'], { timeout: 30_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error((stderr || err.message).trim().split('\n').pop() ?? err.message))
        : resolve(stdout.trim().split(/\s+/)[0] ?? 'unknown'),
    ),
  );
}

/**
 * Installs (or confirms) the latest yt-dlp release in `o.dir`.
 * @throws InstallError: `unreachable` (no network, DNS, HTTP error, time-out), `checksum` (not
 *   listed, or the download does not match: nothing is installed), `broken` (does not run).
 */
export async function installYtDlp(o: InstallOptions): Promise<InstallResult> {
  const connectMs = o.connectTimeoutMs ?? 5000;
  const base = o.releaseUrl.replace(/\/+$/, '');
  const sumsRes = await get(`${base}/SHA2-256SUMS`, connectMs);
  let sums: string;
  try {
    sums = await sumsRes.text();
  } catch (err) {
    throw new InstallError('unreachable', `cannot read ${base}/SHA2-256SUMS: ${reason(err)}`, { cause: err });
  }
  const expected = checksumFor(sums, YTDLP_ASSET);
  if (!expected) throw new InstallError('checksum', `${base}/SHA2-256SUMS lists no "${YTDLP_ASSET}": nothing installed`);

  await mkdir(o.dir, { recursive: true });
  const target = join(o.dir, YTDLP_ASSET);
  if ((await sha256File(target)) === expected) {
    try {
      return { status: 'current', path: target, version: await version(target), sha256: expected };
    } catch {
      /* matches but does not run (python3 missing?): install again below, which reports it */
    }
  }

  const tmp = join(o.dir, `.${YTDLP_ASSET}.${process.pid}.${Date.now()}.part`);
  const total = AbortSignal.timeout(o.downloadTimeoutMs ?? 300_000);
  try {
    const res = await get(`${base}/${YTDLP_ASSET}`, connectMs, total);
    if (!res.body) throw new InstallError('unreachable', `${base}/${YTDLP_ASSET} sent no body`);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
        tap,
        createWriteStream(tmp, { mode: 0o600 }),
        { signal: total },
      );
    } catch (err) {
      throw new InstallError('unreachable', `download of ${base}/${YTDLP_ASSET} failed: ${reason(err)}`, { cause: err });
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new InstallError(
        'checksum',
        `checksum mismatch for ${base}/${YTDLP_ASSET}: SHA2-256SUMS says ${expected}, the download is ${actual}; nothing installed`,
      );
    }
    await chmod(tmp, 0o755);
    let v: string;
    try {
      v = await version(tmp);
    } catch (err) {
      throw new InstallError('broken', `the downloaded yt-dlp does not run (it needs python3 ≥ 3.10): ${(err as Error).message}`, {
        cause: err,
      });
    }
    await rename(tmp, target);
    return { status: 'installed', path: target, version: v, sha256: actual };
  } finally {
    await rm(tmp, { force: true });
  }
}
