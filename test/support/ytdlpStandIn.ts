/**
 * A yt-dlp stand-in for behaviour that needs a newer yt-dlp than Debian's 2023.03.04: an
 * executable that reports a chosen version (and `--help`), records every argv (and the cookies
 * file's contents at that moment) as a JSON line, then runs the real yt-dlp with the options
 * 2023.03.04 does not know (--js-runtimes, --no-js-runtimes, --plugin-dirs, --no-plugin-dirs)
 * taken out. Everything else — downloads, the host guard proxy, cookies — is the real yt-dlp's.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findYtDlp } from '../../worker/src/sources/ytdlp/binary.js';

export interface StandInCall {
  argv: string[];
  /** contents of the file after --cookies when it ran */
  cookies?: string;
}

export interface YtDlpStandIn {
  path: string;
  /** every run so far, oldest first */
  calls(): StandInCall[];
}

/**
 * Writes a stand-in.
 * @param version what `--version` prints (e.g. "2025.11.12", "2023.03.04", "custom")
 * @param helpListsNew whether `--help` lists --js-runtimes and --plugin-dirs (for non-date versions)
 */
export function makeYtDlpStandIn(version: string, helpListsNew = false): YtDlpStandIn {
  const real = findYtDlp({ PATH: process.env['PATH'] ?? '', ARCHIVER_TOOLS_DIR: '/nonexistent' });
  if (!real) throw new Error('the real yt-dlp is not on PATH (npm run setup installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'sa-ytdlp-standin-'));
  const log = join(dir, 'calls.jsonl');
  const help = helpListsNew
    ? 'Usage: yt-dlp [OPTIONS] URL\n    --plugin-dirs DIR               Path to an additional directory\n    --js-runtimes RUNTIME[:PATH]    Additional JavaScript runtime to enable\n'
    : 'Usage: yt-dlp [OPTIONS] URL\n    --ignore-config                 Do not load any more configuration files\n';
  const script = `#!/usr/bin/env python3
import json, os, sys
argv = sys.argv[1:]
rec = {'argv': argv}
if '--cookies' in argv:
    try:
        rec['cookies'] = open(argv[argv.index('--cookies') + 1]).read()
    except Exception as e:
        rec['cookies'] = 'unreadable: ' + str(e)
with open(${JSON.stringify(log)}, 'a') as f:
    f.write(json.dumps(rec) + '\\n')
if argv == ['--version']:
    print(${JSON.stringify(version)})
    sys.exit(0)
if argv == ['--help']:
    sys.stdout.write(${JSON.stringify(help)})
    sys.exit(0)
out, i = [], 0
while i < len(argv):
    a = argv[i]
    if a == '--':
        out += argv[i:]
        break
    if a in ('--js-runtimes', '--plugin-dirs'):
        i += 2
        continue
    if a in ('--no-js-runtimes', '--no-plugin-dirs'):
        i += 1
        continue
    out.append(a)
    i += 1
os.execv(${JSON.stringify(real)}, [${JSON.stringify(real)}] + out)
`;
  const path = join(dir, 'yt-dlp');
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as StandInCall)
        : [],
  };
}
