/**
 * `npm run demo`: the main job, offline, on the embedded defaults. Starts a local media host
 * (clips made by ffmpeg, a page with <video> and <track>, a multi-video page, a 404), writes a
 * sample sheet that points at it, runs the real `sheet-archiver run` with progress, and shows
 * where the archive and the updated CSV are.
 */
import { spawnSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startMediaHost } from '../test/support/mediaHost.js';
import { writeSampleSheet } from '../test/support/sampleSheet.js';

const root = resolve(import.meta.dirname, '..');
const demoDir = resolve(process.env['ARCHIVER_DATA'] ?? join(root, 'data'), 'demo');
const cli = join(root, 'bin/sheet-archiver.js');

rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });

process.stderr.write('demo: making test clips with ffmpeg and starting a local media host …\n');
const host = await startMediaHost({ clipCount: 6, clipSeconds: 2, playlistSize: 3 });
const sheet = writeSampleSheet(join(demoDir, 'people.csv'), host, { rows: 22 });
const out = join(demoDir, 'archive');
process.stderr.write(`demo: media host on ${host.baseUrl}; sample sheet ${relative(process.cwd(), sheet.path)}\n\n`);

const env = { ...process.env, ARCHIVER_DATA: join(demoDir, 'state'), ARCHIVER_RETRY_SCALE: '0.05', ARCHIVER_ALLOWED_HOSTS: host.host };
// The media host runs in this process, so the CLI must run asynchronously beside it.
const code: number = await new Promise((done) => {
  const child = spawn(process.execPath, [cli, 'run', sheet.path, '--out', out, '--concurrency', '3'], { env, stdio: 'inherit' });
  child.on('exit', (c) => done(c ?? 1));
});
await host.close();
if (code !== 0) {
  process.stderr.write(`demo: sheet-archiver run exited with ${code}\n`);
  process.exit(code);
}

// Show that any file leads back to its row (design §5).
const status = spawnSync(process.execPath, [cli, 'status', sheet.path], { env, encoding: 'utf8' });
process.stdout.write(`\nStatus columns now in ${relative(process.cwd(), sheet.path)}:\n${status.stdout}`);
const example = spawnSync('find', [out, '-name', '*.mp4', '-print', '-quit'], { encoding: 'utf8' }).stdout.trim();
if (example) {
  const found = spawnSync(process.execPath, [cli, 'lookup', example, '--out', out], { env, encoding: 'utf8' });
  process.stdout.write(
    `\nAny archived file traces back to its row — sheet-archiver lookup ${relative(process.cwd(), example)}:\n${found.stdout}`,
  );
}
process.stdout.write(`\nDemo done. Archive: ${relative(process.cwd(), out)}/   Updated sheet: ${relative(process.cwd(), sheet.path)}\n`);
