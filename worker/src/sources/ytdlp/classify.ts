/**
 * yt-dlp's error messages → design §4 error categories. Pure functions, unit-tested on real
 * message samples (test/ytdlp/classify.test.ts).
 */
import type { ErrorCategory } from '../../../../shared/errors.js';

export interface ClassifiedError {
  category: ErrorCategory;
  /** the message, cleaned: no `ERROR: ` prefix, no "please report this issue" boilerplate */
  message: string;
}

/**
 * Ordered rules: the first match wins. Order matters: "Sign in to confirm you're not a bot" is a
 * rate limit, not a permission problem; "Video unavailable. This video is private" is permission.
 */
const RULES: [ErrorCategory, RegExp][] = [
  ['validation', /blocked by archiver host guard/i],
  ['rate_limit', /HTTP Error 429|Too Many Requests|not a bot|rate[- ]limit|unusual traffic/i],
  [
    'permission',
    /HTTP Error 40[13]\b|Tunnel connection failed: 40[13]|Private video|This video is private|Sign in|members[- ]only|available to this channel's members|Join this channel|confirm your age|age[- ]restricted|inappropriate for some users|not made this video available in your country|not available in your country|geo[- ]?restrict|registered users|requires? (?:payment|purchase)|login required/i,
  ],
  [
    'not_found',
    /HTTP Error 404|HTTP Error 410|Video unavailable|has been removed|no longer available|account .* terminated|does not exist|This video is unavailable|Unable to recognize playlist|playlist is empty/i,
  ],
  ['validation', /Unsupported URL|is not a valid URL|Incomplete YouTube ID|Invalid URL|No suitable extractor|Requested format is not available|file:\/\/ URLs are disabled/i],
  ['file_io', /No space left on device|Errno 28|Disk quota exceeded|Read-only file system|Permission denied: '/i],
  [
    'network',
    /HTTP Error 5\d\d|Tunnel connection failed: 5\d\d|DNS lookup failed|Name or service not known|Temporary failure in name resolution|getaddrinfo|nodename nor servname|No address associated|Connection refused|Connection reset|Connection aborted|timed out|timeout|Network is unreachable|No route to host|Remote end closed connection|IncompleteRead|EOF occurred in violation|SSL|urlopen error|Unable to download (?:webpage|JSON metadata|video data)|giving up after \d+ retries/i,
  ],
];

const BOILERPLATE = [
  /;? *please report this issue on +https?:\/\/\S+.*$/i,
  /;? *Confirm you are on the latest version using .*$/i,
  / *\(caused by [^)]*\)+/gi,
];

/** Strips `ERROR: ` and yt-dlp's bug-report boilerplate; collapses whitespace. */
export function cleanYtDlpMessage(line: string): string {
  let s = line.replace(/^\s*ERROR:\s*/, '');
  for (const re of BOILERPLATE) s = s.replace(re, '');
  // `[generic] None: …` → `…`; `[youtube] abc: …` → `abc: …` (the id tells a playlist's entries apart)
  s = s.replace(/^\[[\w:.-]+\]\s+(?:None:\s+)?/, '');
  return s.replace(/\s+/g, ' ').trim().replace(/[;,]$/, '');
}

/**
 * Classifies one yt-dlp message (an `ERROR:` line, or any text).
 * @returns the category (`system` when nothing matches: a crash or an unknown failure).
 */
export function classifyYtDlpMessage(text: string): ClassifiedError {
  const message = cleanYtDlpMessage(text) || 'yt-dlp failed';
  for (const [category, re] of RULES) if (re.test(text)) return { category, message };
  return { category: 'system', message };
}

/** The `ERROR:` lines of yt-dlp's stderr, in order. */
export function errorLines(stderr: string): string[] {
  return stderr.split(/\r?\n/).filter((l) => /^\s*ERROR:/.test(l));
}

/** Categories that a later attempt may fix come first when several entries failed. */
const PRIORITY: ErrorCategory[] = ['rate_limit', 'network', 'quota', 'file_io', 'system', 'permission', 'not_found', 'validation', 'data_corruption'];

/**
 * Classifies a whole stderr: every `ERROR:` line, and picks the one that decides the job — a
 * retryable category wins over a permanent one (a playlist with one removed video and one
 * network failure is worth retrying). With no `ERROR:` line, the last non-empty stderr line
 * (a Python traceback's last line, say) is classified, and defaults to `system`.
 */
export function classifyYtDlpStderr(stderr: string, exit?: { code: number | null; signal: string | null }): ClassifiedError & { all: ClassifiedError[] } {
  const all = errorLines(stderr).map(classifyYtDlpMessage);
  if (all.length) {
    const best = [...all].sort((a, b) => PRIORITY.indexOf(a.category) - PRIORITY.indexOf(b.category))[0]!;
    return { ...best, all };
  }
  const last = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('[sa:') && !l.startsWith('WARNING:'))
    .pop();
  const how = exit?.signal ? `yt-dlp was killed by ${exit.signal}` : `yt-dlp exited with code ${exit?.code ?? '?'}`;
  const c = last ? classifyYtDlpMessage(last) : { category: 'system' as const, message: how };
  const one = { category: c.category, message: last ? `${how}: ${c.message}` : how };
  return { ...one, all: [one] };
}
