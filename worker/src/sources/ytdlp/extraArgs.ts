/**
 * YTDLP_EXTRA_ARGS: extra yt-dlp options for what the worker has no setting of its own
 * (`--extractor-args`, `--sleep-requests`, `--impersonate`, `--limit-rate` …), split like a POSIX
 * shell would split them and checked once, at start-up. Options that would break the storage
 * layout (design §5), the download host guard or the way the worker drives yt-dlp are refused,
 * each with the reason; the option names follow yt-dlp's README ("Usage and Options").
 *
 * yt-dlp parses options with Python's optparse, which accepts any unambiguous prefix of a long
 * option (`--outp` is `--output`) and clusters of short options (`-xo tmpl`), so both forms are
 * checked as well.
 */

/** Why an option is refused; shown to the person who set it. */
const LAYOUT = 'the worker decides where yt-dlp writes and how files are named (docs/design.md §5)';
const GUARD = 'it would let yt-dlp, or a program it starts, reach files or hosts around the download host guard';
const PROCESS = 'it would run other programs or change how the worker drives yt-dlp';
const EXITS = 'yt-dlp would print something and exit without archiving';
const OWNED = 'the worker sets it';
const CUTS = 'it cuts the media, so the stored file would no longer match its info.json (completion check)';
const SECRET = 'it puts a credential on the command line, where logs can see it; use YTDLP_COOKIES instead';
const LOGS = "it writes request headers or the command line (the cookies file's path included) into the worker's log";

/** Refused options: every spelling yt-dlp accepts → why. */
export const REFUSED_OPTIONS: ReadonlyMap<string, string> = new Map<string, string>([
  // storage layout
  ...(['-o', '--output', '-P', '--paths', '--output-na-placeholder', '--trim-filenames', '--no-restrict-filenames'] as const).map(
    (o) => [o, LAYOUT] as [string, string],
  ),
  ['--print-to-file', `${LAYOUT}: it writes to a path of its own`],
  ['--cache-dir', `${LAYOUT}: it writes to a path of its own (the worker runs with --no-cache-dir)`],
  ['--rm-cache-dir', `${LAYOUT}: it deletes a folder`],
  ['--download-archive', `${LAYOUT}: the worker keeps its own per-job archive file`],
  ['--no-download-archive', `${LAYOUT}: the worker keeps its own per-job archive file`],
  ['--force-write-archive', `${LAYOUT}: the worker keeps its own per-job archive file`],
  ['--load-info-json', `${GUARD}: it reads a local file instead of the link`],
  ['-a', `${GUARD}: it reads links from a local file; links come from the sheet`],
  ['--batch-file', `${GUARD}: it reads links from a local file; links come from the sheet`],
  // host guard
  ['--proxy', `${GUARD}: the worker routes yt-dlp through the guard's own proxy`],
  ['--geo-verification-proxy', `${GUARD}: a second proxy the guard would not see`],
  ['--enable-file-urls', `${GUARD}: file:// URLs read the worker's disk`],
  ['--remote-components', `${GUARD}: it fetches solver code from GitHub or npm (the release yt-dlp bundles yt-dlp-ejs)`],
  ['--downloader', `${GUARD}: an external downloader (aria2c, curl, wget) follows links the guard cannot check`],
  ['--external-downloader', `${GUARD}: an external downloader (aria2c, curl, wget) follows links the guard cannot check`],
  ['--downloader-args', `${GUARD}: arguments for ffmpeg or an external downloader can name any file or host`],
  ['--external-downloader-args', `${GUARD}: arguments for ffmpeg or an external downloader can name any file or host`],
  [
    '--cookies-from-browser',
    `${GUARD}: it reads the browser profiles of the worker's machine; export a cookies file and set YTDLP_COOKIES`,
  ],
  ['--use-extractors', `${OWNED}: YouTube links use the YouTube extractors, allowed hosts only generic,html5`],
  ['--ies', `${OWNED}: YouTube links use the YouTube extractors, allowed hosts only generic,html5`],
  ['--force-generic-extractor', `${OWNED}: allowed hosts use generic,html5`],
  // process model
  ['--exec', `${PROCESS}: it runs a shell command`],
  ['--exec-before-download', `${PROCESS}: it runs a shell command`],
  ['--netrc-cmd', `${PROCESS}: it runs a shell command`],
  ['--use-postprocessor', `${PROCESS}: a postprocessor (Exec, say) can run commands and move files`],
  ['--postprocessor-args', `${PROCESS}: ffmpeg arguments can read and write any file`],
  ['--ppa', `${PROCESS}: ffmpeg arguments can read and write any file`],
  ['-U', `${PROCESS}: it replaces the yt-dlp binary; use \`sheet-archiver update-tools\``],
  ['--update', `${PROCESS}: it replaces the yt-dlp binary; use \`sheet-archiver update-tools\``],
  ['--update-to', `${PROCESS}: it replaces the yt-dlp binary; use \`sheet-archiver update-tools\``],
  ['--config-location', `${PROCESS}: the worker runs yt-dlp with --ignore-config, and a config file could hold any refused option`],
  ['--config-locations', `${PROCESS}: the worker runs yt-dlp with --ignore-config, and a config file could hold any refused option`],
  ['--alias', `${PROCESS}: an alias could stand for any refused option`],
  ['-t', `${OWNED}: the format and audio settings come from the row's archive_options`],
  ['--preset-alias', `${OWNED}: the format and audio settings come from the row's archive_options`],
  ['-j', `${EXITS}`],
  ['--dump-json', EXITS],
  ['-J', EXITS],
  ['--dump-single-json', EXITS],
  ['--print-json', EXITS],
  ['-s', EXITS],
  ['--simulate', EXITS],
  ['-F', EXITS],
  ['--list-formats', EXITS],
  ['--list-subs', EXITS],
  ['--list-thumbnails', EXITS],
  ['--list-extractors', EXITS],
  ['--extractor-descriptions', EXITS],
  ['--list-impersonate-targets', EXITS],
  ['--ap-list-mso', EXITS],
  ['--dump-user-agent', EXITS],
  ['-h', EXITS],
  ['--help', EXITS],
  ['--version', EXITS],
  ['-O', `${OWNED}: it reads the items yt-dlp archived from its own --print lines`],
  ['--print', `${OWNED}: it reads the items yt-dlp archived from its own --print lines`],
  ['--progress-template', `${OWNED}: it reads progress from its own template`],
  ['--flat-playlist', `${OWNED}: a flat listing downloads nothing`],
  ['-I', `${OWNED}: a retry fetches only the missing playlist entries`],
  ['--playlist-items', `${OWNED}: a retry fetches only the missing playlist entries`],
  ['--yes-playlist', `${OWNED}: from the link (a watch?v=…&list=… link archives the video only)`],
  ['--no-playlist', `${OWNED}: from the link (a watch?v=…&list=… link archives the video only)`],
  ['-f', `${OWNED}: from the row's archive_options (mode, max_height)`],
  ['--format', `${OWNED}: from the row's archive_options (mode, max_height)`],
  ['-x', `${OWNED}: set mode=audio in the row's archive_options`],
  ['--extract-audio', `${OWNED}: set mode=audio in the row's archive_options`],
  ['--skip-download', `${OWNED}: set mode=transcript in the row's archive_options`],
  ['--sub-langs', `${OWNED}: set subs=… in the row's archive_options`],
  ['--ffmpeg-location', `${OWNED}: ffmpeg is taken from PATH`],
  ['--cookies', `${OWNED}: set YTDLP_COOKIES (the worker copies the file for each job)`],
  ['--no-cookies', `${OWNED}: unset YTDLP_COOKIES`],
  ['--js-runtimes', `${OWNED}: set YTDLP_JS_RUNTIME`],
  ['--no-js-runtimes', `${OWNED}: set YTDLP_JS_RUNTIME`],
  ['--plugin-dirs', `${OWNED}: set YTDLP_PLUGIN_DIRS`],
  ['--no-plugin-dirs', `${OWNED}: set YTDLP_PLUGIN_DIRS`],
  ['--download-sections', CUTS],
  ['--sponsorblock-remove', CUTS],
  ['--remove-chapters', CUTS],
  // secrets and logs
  ...(
    [
      '-u',
      '--username',
      '-p',
      '--password',
      '-2',
      '--twofactor',
      '--video-password',
      '--ap-username',
      '--ap-password',
      '-n',
      '--netrc',
      '--netrc-location',
      '--client-certificate-password',
    ] as const
  ).map((o) => [o, SECRET] as [string, string]),
  ['-v', LOGS],
  ['--verbose', LOGS],
  ['--print-traffic', LOGS],
  ['--dump-pages', LOGS],
]);

/** yt-dlp's short options that take a value: the rest of a cluster after one of them is that value. */
const SHORT_WITH_VALUE = new Set(['I', 'N', 'r', 'R', 'a', 'P', 'o', 'O', 'f', 'S', 'u', 'p', '2', 't']);

/** A refused YTDLP_EXTRA_ARGS token: `option` as written, `reason` why. */
export class RefusedOptionError extends Error {
  override name = 'RefusedOptionError';
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`"${option}" is refused: ${reason}`);
  }
}

/**
 * Splits a string into arguments the way a POSIX shell does, without expansions: whitespace
 * separates, '…' is literal, "…" honours \" \\ \$ \`, a backslash outside quotes escapes the next
 * character.
 * @throws Error on an unterminated quote
 */
export function shellSplit(input: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
      i++;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      cur += input.slice(i + 1, end);
      has = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= input.length) throw new Error('unterminated double quote');
        const d = input[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1]!)) {
          if (input[i + 1] !== '\n') cur += input[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      has = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 < input.length && input[i + 1] !== '\n') cur += input[i + 1];
      has = true;
      i += 2;
    } else {
      cur += c;
      has = true;
      i++;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** The refusal reason for one long option as written (`--name` or `--name=value`), or null. */
function longRefusal(token: string): { option: string; reason: string } | null {
  const name = token.split('=', 1)[0]!.toLowerCase();
  const exact = REFUSED_OPTIONS.get(name);
  if (exact) return { option: name, reason: exact };
  // optparse takes an unambiguous prefix as the full option: refuse prefixes of refused options
  for (const [opt, reason] of REFUSED_OPTIONS) {
    if (opt.startsWith('--') && opt.startsWith(name) && name.length > 2)
      return { option: name, reason: `${reason} (it abbreviates ${opt})` };
  }
  return null;
}

/**
 * Parses and checks YTDLP_EXTRA_ARGS.
 * @returns the arguments, to be put before the link on every yt-dlp command line.
 * @throws RefusedOptionError for the first refused option, a link, or `--`; Error for bad quoting.
 */
export function parseExtraArgs(value: string | undefined): string[] {
  if (!value || !value.trim()) return [];
  const args = shellSplit(value);
  for (const a of args) {
    if (a === '--') throw new RefusedOptionError(a, 'anything after it is a link; links come from the sheet');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a) || /^[a-z]+search\d*(?:all)?:/i.test(a)) {
      throw new RefusedOptionError(a.replace(/[?#].*$/, ''), 'a link or search; links come from the sheet');
    }
    if (a.startsWith('--')) {
      const r = longRefusal(a);
      if (r) throw new RefusedOptionError(r.option, r.reason);
    } else if (a.startsWith('-') && a.length > 1) {
      // a cluster: -xo tmpl is -x -o tmpl; after an option that takes a value, the rest is the value
      for (const ch of a.slice(1)) {
        const reason = REFUSED_OPTIONS.get(`-${ch}`);
        if (reason) throw new RefusedOptionError(`-${ch}`, reason);
        if (SHORT_WITH_VALUE.has(ch)) break;
      }
    }
  }
  return args;
}
