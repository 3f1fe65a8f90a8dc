/** Running ffmpeg and ffprobe for the reprocess steps: bounded stderr, abortable, errors as ArchiveError('system'). */
import { spawn } from 'node:child_process';
import { ArchiveError } from '../../errors.js';

/**
 * Runs `bin args…` to completion.
 * @returns stdout (UTF-8)
 * @throws ArchiveError('system') on a non-zero exit (with stderr's first line) or a missing binary;
 *   the abort reason when `signal` fires.
 */
export function runTool(bin: string, args: string[], signal?: AbortSignal, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 1_000_000) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : err);
      reject(
        new ArchiveError(
          'system',
          err.code === 'ENOENT' ? `${bin} not found: install ffmpeg (npm run setup)` : `cannot run ${bin}: ${err.message}`,
          { cause: err },
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const line =
        stderr
          .split('\n')
          .map((l) => l.trim())
          .find(Boolean) ?? `exit code ${code}`;
      reject(new ArchiveError('system', `${bin} failed: ${line}`));
    });
  });
}

/** Codec names of a media file's streams, by type (ffprobe `-show_entries stream=codec_type,codec_name`). */
export async function probeStreams(ffprobe: string, file: string, signal?: AbortSignal): Promise<{ type: string; codec: string }[]> {
  const out = await runTool(
    ffprobe,
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', file],
    signal,
    120_000,
  );
  const doc = JSON.parse(out) as { streams?: { codec_type?: string; codec_name?: string }[] };
  return (doc.streams ?? []).map((s) => ({ type: s.codec_type ?? '', codec: s.codec_name ?? '' }));
}
