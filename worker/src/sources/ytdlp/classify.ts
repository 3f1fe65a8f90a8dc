/**
 * yt-dlp's error messages → design §4 error categories, so that retries do what a person expects
 * (docs/design.md §4). ONE table of rules (RULES), first match wins, each with a real sample
 * message; test/ytdlp/classify.test.ts checks every sample and a corpus of messages copied from
 * public bug reports. Pure functions.
 */
import type { ErrorCategory } from '../../../../shared/errors.js';

export interface ClassifiedError {
  category: ErrorCategory;
  /** the message for the sheet, cleaned: no `ERROR: ` prefix, extractor tag or bug-report boilerplate */
  message: string;
}

/** One classification rule. */
export interface ClassifyRule {
  /** short stable name (tests, logs) */
  id: string;
  category: ErrorCategory;
  /** tested against the raw message (the `ERROR:` line) */
  pattern: RegExp;
  /** a real message this rule is for; it must classify to `category` */
  sample: string;
  /**
   * The rule applies only when yt-dlp's other output (its WARNING lines) matches this too: the
   * same error means a different thing after, say, an n-challenge warning.
   */
  whenOutput?: RegExp;
  /** stderr that goes with `sample` for a `whenOutput` rule */
  sampleOutput?: string;
  /** rewrites the cleaned message: says what was refused, or what to do */
  describe?: (message: string, match: RegExpExecArray) => string;
}

/**
 * yt-dlp's warnings that YouTube's JavaScript challenges went unsolved (no JS runtime, no EJS
 * scripts, or a yt-dlp too old for the current player): formats go missing, and the error that
 * follows ("Requested format is not available") is a tooling fault, not the link's.
 */
const CHALLENGE_WARNING =
  /^WARNING:.*(?:n challenge solving failed|signature solving failed|nsig extraction failed|signature extraction failed|no supported JavaScript runtime|challenge solver|yt-dlp\/wiki\/EJS|JS runtime)/im;

const UPDATE_ADVICE = 'update yt-dlp (sheet-archiver update-tools) and check its JavaScript runtime (sheet-archiver doctor)';

/** Keeps the `<id>: ` prefix of a cleaned message (it names a playlist's failing entry). */
const idPrefix = (m: string) => /^([\w-]{6,}|@[\w.-]+): /.exec(m)?.[0] ?? '';

/**
 * The rules, in order; the first match wins. Order matters: the refusals come first (their
 * messages also say "Unable to download webpage" or "Giving up after 3 retries", which would read
 * as network); "Sign in to confirm you're not a bot" is a rate limit before any "Sign in" is a
 * permission; "Video unavailable. This content isn't available" is a rate limit and "Video
 * unavailable. This video is private" a permission before a bare "Video unavailable" is not_found.
 */
export const RULES: readonly ClassifyRule[] = [
  // ── validation: refused by the archiver or by yt-dlp; never retried ──
  {
    id: 'host-guard',
    category: 'validation',
    pattern: /blocked by archiver host guard/i,
    sample:
      'ERROR: [generic] None: Unable to download webpage: <urlopen error Tunnel connection failed: 403 Blocked by archiver host guard>',
  },
  {
    id: 'redirect-scheme',
    category: 'validation',
    // urllib refuses redirects to anything but http/https/ftp; requests says "No connection adapters"
    pattern: /Redirection to url '([^']*)' is not allowed|No connection adapters were found for '([^']*)'/i,
    sample:
      "ERROR: [generic] None: Unable to download webpage: HTTP Error 302: Found - Redirection to url 'file:///etc/passwd' is not allowed (caused by <HTTPError 302: \"Found - Redirection to url 'file:///etc/passwd' is not allowed\">)",
    describe: (m, match) => `refused a redirect to ${match[1] ?? match[2]}: only http(s) redirects are followed (${m})`,
  },
  {
    id: 'file-url',
    category: 'validation',
    pattern: /file:\/\/ URLs are (?:explicitly )?disabled/i,
    sample:
      'ERROR: [download] Got error: <urlopen error file:// URLs are explicitly disabled in yt-dlp for security reasons. Use --enable-file-urls to enable at your own risk.>. Giving up after 3 retries',
    describe: () =>
      'refused a file:// URL: the page points at a local file, and file:// URLs are explicitly disabled in yt-dlp for security reasons',
  },
  {
    id: 'unsupported-url',
    category: 'validation',
    pattern: /Unsupported URL|is not a valid URL|Incomplete YouTube ID|Invalid URL|No suitable extractor|That doesn't make any sense/i,
    sample: 'ERROR: Unsupported URL: https://example.org/page',
  },

  // ── rate_limit: pauses the host's lane ──
  {
    id: 'http-429',
    category: 'rate_limit',
    pattern: /HTTP Error 429|Too Many Requests/i,
    sample:
      "ERROR: [generic] None: Unable to download webpage: HTTP Error 429: Too Many Requests (caused by <HTTPError 429: 'Too Many Requests'>)",
  },
  {
    // both wordings: "… Use --cookies-from-browser or --cookies …" and "… This helps protect our community"
    id: 'bot-check',
    category: 'rate_limit',
    pattern: /confirm you(?:’|'|`)?re not a bot|not a bot/i,
    sample: 'ERROR: [youtube] bzyMLoSwYvk: Sign in to confirm you’re not a bot. This helps protect our community. Learn more',
    describe: (m) => `${idPrefix(m)}YouTube's bot check ("Sign in to confirm you're not a bot"): set YTDLP_COOKIES, see docs/youtube.md`,
  },
  {
    id: 'session-rate-limit',
    category: 'rate_limit',
    pattern: /content isn(?:’|'|`)?t available, try again later|rate-limited by YouTube/i,
    sample:
      "ERROR: [youtube] y5W-c0UwcpQ: This content isn't available, try again later. The current session has been rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add a delay between video requests to avoid exceeding the rate limit. For more information, refer to https://github.com/yt-dlp/yt-dlp/wiki/Extractors#this-content-isnt-available-try-again-later",
  },
  {
    // YouTube's answer while it blocks an account or address, on every video
    id: 'account-block',
    category: 'rate_limit',
    pattern: /Video unavailable\.? This content isn(?:’|'|`)?t available/i,
    sample: 'ERROR: [youtube] qaImFO_DgAM: Video unavailable. This content isn’t available.',
    describe: (m) => `${m} (YouTube is blocking this account or address for now; it is retried after a pause)`,
  },
  {
    id: 'unusual-traffic',
    category: 'rate_limit',
    pattern: /unusual traffic|rate[- ]limit/i,
    sample: 'ERROR: [youtube] abcdefghijk: Our systems have detected unusual traffic from your computer network.',
  },

  // ── system: tooling faults, retried; update yt-dlp ──
  {
    id: 'formats-after-challenge',
    category: 'system',
    pattern: /Requested format is not available|Only images are available|No video formats found/i,
    whenOutput: CHALLENGE_WARNING,
    sample: 'ERROR: [youtube] vWE1Ixsg2BU: Requested format is not available. Use --list-formats for a list of available formats',
    sampleOutput:
      'WARNING: [youtube] vWE1Ixsg2BU: n challenge solving failed: Some formats may be missing. Ensure you have a supported JavaScript runtime and challenge solver script distribution installed. Review any warnings presented before this message. For more details, refer to  https://github.com/yt-dlp/yt-dlp/wiki/EJS\nWARNING: Only images are available for download. use --list-formats to see them',
    describe: (m) => `yt-dlp could not solve YouTube's JavaScript challenge, so formats are missing: ${UPDATE_ADVICE} (${m})`,
  },
  {
    id: 'formats-missing',
    category: 'system',
    pattern: /Requested format is not available|Only images are available|No video formats found/i,
    sample: 'ERROR: [youtube] WIGtCEHpilE: Requested format is not available. Use --list-formats for a list of available formats',
    describe: (m) => `yt-dlp found no downloadable format: ${UPDATE_ADVICE} (${m})`,
  },

  // ── network: fragments and transport; retried with backoff ──
  {
    id: 'fragments',
    category: 'network',
    pattern:
      /fragment \d+ not found|giving up after \d+ fragment retries|Did not get any data blocks|fragment not found|unable to download fragment/i,
    sample: 'ERROR: giving up after 10 fragment retries',
  },
  {
    // "Unable to download API page: <transport error>" (a 4xx inside it is not a transport error)
    id: 'api-page-transport',
    category: 'network',
    pattern:
      /Unable to download (?:API page|webpage|JSON metadata|video data|m3u8 information|MPD manifest): .*(?:timed out|Connection (?:reset|refused|aborted)|Remote end closed|SSL|EOF occurred|IncompleteRead|urlopen error|Name or service not known|Temporary failure in name resolution|getaddrinfo|Network is unreachable|No route to host|Tunnel connection failed: 5\d\d|HTTP Error 5\d\d)/i,
    sample:
      "ERROR: [youtube] KJybu1Y2tyY: Unable to download API page: (<HTTPSConnection(host='www.youtube.com', port=443) at 0x1f029f5d150>, 'Connection to www.youtube.com timed out.",
  },

  // ── permission: private, gated, members-only, geo, copyright; never retried ──
  {
    id: 'http-401-403',
    category: 'permission',
    pattern: /HTTP Error 40[13]\b|Tunnel connection failed: 40[13]/i,
    sample: 'ERROR: unable to download video data: HTTP Error 403: Forbidden',
  },
  {
    id: 'private',
    category: 'permission',
    pattern: /Private video|This video is private|video is private/i,
    sample: "ERROR: [youtube] M7mKMWjAxG8: Private video. Sign in if you've been granted access to this video",
  },
  {
    id: 'members-only',
    category: 'permission',
    pattern: /members[- ]only|available to this channel's members|Join this channel/i,
    sample:
      'ERROR: [youtube] h7aSM88pUv8: Join this channel to get access to members-only content like this video, and other exclusive perks.',
  },
  {
    id: 'premium',
    category: 'permission',
    pattern: /Premium members|YouTube Premium|requires? (?:payment|purchase)|rent(?:al)? this video/i,
    sample: 'ERROR: This video is only available to Music Premium members',
  },
  {
    id: 'age-gate',
    category: 'permission',
    pattern: /confirm your age|inappropriate for some users|age[- ]restricted|age[- ]gated/i,
    sample: 'ERROR: [youtube] fVs0suPHAX8: Sign in to confirm your age. This video may be inappropriate for some users.',
  },
  {
    id: 'geo',
    category: 'permission',
    pattern: /not made this video available in your country|not available in your country|blocked it in your country|geo[- ]?restrict/i,
    sample: 'ERROR: [youtube] ltcd1B8WyTM: Video unavailable. The uploader has not made this video available in your country',
  },
  {
    id: 'copyright',
    category: 'permission',
    pattern: /on copyright grounds|who has blocked it/i,
    sample: 'ERROR: This video contains content from WMG, who has blocked it on copyright grounds.',
  },
  {
    id: 'restricted',
    category: 'permission',
    pattern: /This video is restricted|Playback on other websites has been disabled|registered users|login required|Sign in/i,
    sample:
      'ERROR: [youtube] Go5pK58afWE: Video unavailable. This video is restricted. Please check the Google Workspace administrator and/or the network administrator restrictions.',
  },

  // ── not_found: removed, wrong link; never retried ──
  {
    id: 'not-found',
    category: 'not_found',
    pattern:
      /HTTP Error 404|HTTP Error 410|Video unavailable|This video is not available|This video is unavailable|has been removed|no longer available|account .* terminated|does not exist|Failed to resolve url|Unable to recognize playlist|playlist is empty|does not have an? \w+ tab/i,
    sample: 'ERROR: [youtube:tab] @dokuzsekizmuzikyapim: Failed to resolve url (does the playlist exist?)',
  },

  // ── file_io: the worker's disk; retried a few times ──
  {
    id: 'file-io',
    category: 'file_io',
    pattern:
      /No space left on device|Errno 28\b|Disk quota exceeded|Read-only file system|Errno 30\b|File ?name too long|Errno (?:36|63)\b|Access is denied|WinError (?:5|32)\b|Permission denied: '|Errno 13\b|unable to open for writing|unable to rename file/i,
    sample: "ERROR: unable to open for writing: [Errno 36] File name too long: 'x.part-Frag0.part'",
  },

  // ── network: anything else about the transport ──
  {
    id: 'transport',
    category: 'network',
    pattern:
      /HTTP Error 5\d\d|Tunnel connection failed: 5\d\d|DNS lookup failed|Name or service not known|Temporary failure in name resolution|getaddrinfo|nodename nor servname|No address associated|Connection refused|Connection reset|Connection aborted|timed out|timeout|Network is unreachable|No route to host|Remote end closed connection|IncompleteRead|EOF occurred in violation|SSL|urlopen error|Unable to download (?:webpage|API page|JSON metadata|video data)|giving up after \d+ retries/i,
    sample:
      "ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno 111] Connection refused> (caused by URLError(ConnectionRefusedError(111, 'Connection refused')))",
  },
];

/** Text that helps nobody reading the sheet (yt-dlp's command-line advice, bug-report requests). */
const BOILERPLATE = [
  /;? *please report this issue on +https?:\/\/\S+.*$/i,
  /;? *Confirm you are on the latest version using .*$/i,
  / *\(caused by [^)]*\)+/gi,
  /\.? *Use --list-formats for a list of available formats\.?/i,
  /\.? *Use --cookies-from-browser or --cookies for the authentication\..*$/i,
  / *It is recommended to use `-t sleep`.*$/i,
  / *Use --enable-file-urls to enable at your own risk\.?/i,
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
 * @param output yt-dlp's whole stderr, for rules that depend on its warnings (`whenOutput`).
 * @returns the category (`system` when nothing matches: a crash or an unknown failure) and the
 *   sheet message.
 */
export function classifyYtDlpMessage(text: string, output = ''): ClassifiedError {
  const message = cleanYtDlpMessage(text) || 'yt-dlp failed';
  for (const rule of RULES) {
    const m = rule.pattern.exec(text);
    if (!m || (rule.whenOutput && !rule.whenOutput.test(output))) continue;
    return { category: rule.category, message: rule.describe ? rule.describe(message, m) : message };
  }
  return { category: 'system', message };
}

/**
 * The `ERROR:` messages of yt-dlp's stderr, in order. yt-dlp sometimes prints `ERROR: ` alone and
 * the message on the next line (a download error after progress output): the two are joined.
 */
export function errorLines(stderr: string): string[] {
  const lines = stderr.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!/^\s*ERROR:/.test(l)) continue;
    if (/^\s*ERROR:\s*$/.test(l)) {
      const next = lines.slice(i + 1).find((n) => n.trim() && !n.startsWith('[sa:'));
      if (next) out.push(`ERROR: ${next.trim()}`);
    } else out.push(l);
  }
  return out;
}

/** Categories that a later attempt may fix come first when several entries failed. */
const PRIORITY: ErrorCategory[] = [
  'rate_limit',
  'network',
  'quota',
  'file_io',
  'system',
  'permission',
  'not_found',
  'validation',
  'data_corruption',
  'cancelled',
];

/**
 * Classifies a whole stderr: every `ERROR:` message, and picks the one that decides the job — a
 * retryable category wins over a permanent one (a playlist with one removed video and one
 * network failure is worth retrying). With no `ERROR:` line, the last non-empty stderr line
 * (a Python traceback's last line, say) is classified, and defaults to `system`.
 */
export function classifyYtDlpStderr(
  stderr: string,
  exit?: { code: number | null; signal: string | null },
): ClassifiedError & { all: ClassifiedError[] } {
  const all = errorLines(stderr).map((l) => classifyYtDlpMessage(l, stderr));
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
  const c = last ? classifyYtDlpMessage(last, stderr) : { category: 'system' as const, message: how };
  const one = { category: c.category, message: last ? `${how}: ${c.message}` : how };
  return { ...one, all: [one] };
}
