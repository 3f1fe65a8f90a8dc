/**
 * The yt-dlp error classifier (worker/src/sources/ytdlp/classify.ts, docs/design.md §4): every
 * rule's own sample, and a corpus of messages copied from public bug reports, each with its source.
 * The categories decide retries: rate_limit pauses the lane, system/network/file_io retry,
 * permission/not_found/validation never do.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorCategory } from '../../shared/errors.js';
import { RULES, classifyYtDlpMessage, classifyYtDlpStderr, errorLines } from '../../worker/src/sources/ytdlp/classify.js';

describe('the rule table', () => {
  it.each(RULES.map((r) => [r.id, r] as const))('%s: its sample classifies to its category', (_id, rule) => {
    const c = rule.sampleOutput ? classifyYtDlpStderr(`${rule.sampleOutput}\n${rule.sample}\n`) : classifyYtDlpMessage(rule.sample);
    expect(c.category).toBe(rule.category);
  });

  it('rule ids are unique and every sample is a real yt-dlp line', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.sample).toMatch(/ERROR:/);
  });

  it('a whenOutput rule needs its warning: without it the next rule decides', () => {
    const rule = RULES.find((r) => r.whenOutput)!;
    const alone = classifyYtDlpMessage(rule.sample);
    const warned = classifyYtDlpStderr(`${rule.sampleOutput}\n${rule.sample}\n`);
    expect(warned.message).toMatch(/JavaScript challenge/);
    expect(alone.message).not.toMatch(/JavaScript challenge/);
    expect(alone.message).toMatch(/update yt-dlp/);
  });
});

/** [message or whole stderr, category, source]. Messages as the reports quote them. */
const CORPUS: [string, ErrorCategory, string][] = [
  // ── rate_limit: the bot check (both wordings), the session rate limit, the account/address block, 429 ──
  [
    'ERROR: [youtube] tpUr8xVxj-w: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass cookies. Also see  https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  for tips on effectively exporting YouTube cookies',
    'rate_limit',
    'https://github.com/StefanLobbenmeier/youtube-dl-gui/issues/189',
  ],
  [
    '[ytdl_hook] ERROR: [youtube] M7FH1dL51oU: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass cookies.',
    'rate_limit',
    'https://github.com/Benexl/yt-x/issues/112',
  ],
  [
    'ERROR: [youtube] : Sign in to confirm you’re not a bot. Use cookies-from-browser or cookies for the authentication.',
    'rate_limit',
    'https://github.com/kalanakt/All-Url-Uploader/issues/157',
  ],
  [
    'ERROR: [youtube] Mr_0pQ8vlEQ: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication.',
    'rate_limit',
    'https://github.com/yt-dlp/yt-dlp/issues/11950',
  ],
  [
    'ERROR: [youtube] Q1i3iDqIDBQ: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication.',
    'rate_limit',
    'https://github.com/yt-dlp/yt-dlp/issues/15527',
  ],
  [
    'ERROR: [youtube] bzyMLoSwYvk: Sign in to confirm you’re not a bot. This helps protect our community. Learn more',
    'rate_limit',
    'https://github.com/ErrorFlynn/ytdlp-interface/issues/181',
  ],
  [
    'ERROR: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication',
    'rate_limit',
    'https://github.com/pH-7/Download-Simply-Videos-From-YouTube/issues/22',
  ],
  ["ERROR: Sign in to confirm you're not a bot.", 'rate_limit', 'https://github.com/waiwuo1412/youtube_downloader/issues/1'],
  [
    "ERROR: [youtube] y5W-c0UwcpQ: This content isn't available, try again later. The current session has been rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add a delay between video requests to avoid exceeding the rate limit. For more information, refer to https://github.com/yt-dlp/yt-dlp/wiki/Extractors#this-content-isnt-available-try-again-later",
    'rate_limit',
    'https://github.com/neosubhamoy/neodlp/issues/40',
  ],
  [
    "ERROR: [youtube] 8NxoMpXM2oI: Video unavailable. This content isn't available, try again later. The current session has been rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add a delay between video requests to avoid exceeding the rate limit.",
    'rate_limit',
    'https://github.com/neosubhamoy/neodlp/issues/40',
  ],
  [
    "DownloadError: ERROR: [youtube] SOWBtuuCDig: Video unavailable. This content isn't available, try again later. Your account has been rate-limited by YouTube for up to an hour.",
    'rate_limit',
    'https://github.com/toolforge/video2commons/issues/288',
  ],
  [
    "Video unavailable. This content isn't available, try again later. The current session has been rate-limited by YouTube for up to an hour.",
    'rate_limit',
    'https://github.com/yt-dlp/yt-dlp/issues/14921',
  ],
  ["[YouTube] This content isn't available, try again later.", 'rate_limit', 'https://github.com/yt-dlp/yt-dlp/issues/11426'],
  [
    'ERROR: [youtube] qaImFO_DgAM: Video unavailable. This content isn’t available.',
    'rate_limit',
    'https://github.com/yt-dlp/yt-dlp/issues/14095',
  ],
  ['Video unavailable. This content isn’t available.', 'rate_limit', 'https://github.com/yt-dlp/yt-dlp/issues/13583'],
  [
    'ERROR: [youtube] XXXXXX: Video unavailable. This content isn’t available.',
    'rate_limit',
    'https://github.com/jmbannon/ytdl-sub/issues/1252',
  ],
  ["Youtube Video unavailable. This content isn't available.", 'rate_limit', 'https://github.com/yt-dlp/yt-dlp/issues/15767'],
  [
    'ERROR: Unable to download webpage: HTTP Error 429: Too Many Requests; please report this issue on https://yt-dl.org/bug',
    'rate_limit',
    'https://github.com/ytdl-org/youtube-dl/issues/3045',
  ],
  [
    'ERROR: Unable to download webpage: HTTP Error 429: Too Many Requests (caused by HTTPError())',
    'rate_limit',
    'https://github.com/ytdl-org/youtube-dl/issues/24143',
  ],
  [
    "Unable to download webpage: HTTP Error 429: Too Many Requests (caused by <HTTPError 429: 'Too Many Requests'>)",
    'rate_limit',
    'https://github.com/ytdl-org/youtube-dl/issues/22898',
  ],

  // ── system: formats missing after an n-challenge/EJS warning (whole stderr), and other tooling faults ──
  [
    'WARNING: [youtube] vWE1Ixsg2BU: n challenge solving failed: Some formats may be missing. Ensure you have a supported JavaScript runtime and challenge solver script distribution installed. Review any warnings presented before this message. For more details, refer to https://github.com/yt-dlp/yt-dlp/wiki/EJS\nWARNING: Only images are available for download. use --list-formats to see them\nERROR: [youtube] vWE1Ixsg2BU: Requested format is not available. Use --list-formats for a list of available formats\n',
    'system',
    'https://github.com/jely2002/youtube-dl-gui/issues/702',
  ],
  [
    'WARNING: [youtube] mVzLoTowtPM: n challenge solving failed: Some formats may be missing. Ensure you have a supported JavaScript runtime and challenge solver script distribution installed. Review any warnings presented before this message. For more details, refer to  https://github.com/yt-dlp/yt-dlp/wiki/EJS\nWARNING: Only images are available for download. use --list-formats to see them\nERROR: [youtube] mVzLoTowtPM: Requested format is not available. Use --list-formats for a list of available formats\n',
    'system',
    'https://github.com/ikoyhn/clean-cast/issues/107',
  ],
  [
    'ERROR: [youtube] WIGtCEHpilE: Requested format is not available. Use --list-formats for a list of available formats',
    'system',
    'https://github.com/yt-dlp/yt-dlp/issues/16267',
  ],
  [
    'WARNING: [youtube] The following content is not available on this app.. Watch on the latest version of YouTube.\nWARNING: No video formats found!\nWARNING: Requested format is not available\nERROR: [youtube] b-nO6rK8qps: No video formats found!\n',
    'system',
    'https://github.com/alexta69/metube/issues/465',
  ],
  [
    'ERROR: [youtube] Q1kmXoeeKAE: The following content is not available on this app.. Watch on the latest version of YouTube.',
    'system',
    'https://github.com/yt-dlp/yt-dlp/issues/10108',
  ],

  // ── validation ──
  [
    'ERROR: [CommonMistakes] You\'ve asked yt-dlp to download the URL "yt-dlp". That doesn\'t make any sense. Simply remove the parameter in your command or configuration.',
    'validation',
    'https://github.com/yt-dlp/yt-dlp/issues/9368',
  ],

  // ── network: fragment failures, "giving up after N fragment retries", transport errors (API page included) ──
  ['ERROR: fragment 1 not found, unable to continue', 'network', 'https://github.com/yt-dlp/yt-dlp/issues/4796'],
  ['[youtube] ERROR: fragment 1 not found, unable to continue', 'network', 'https://github.com/yt-dlp/yt-dlp/issues/8380'],
  ['ERROR: Did not get any data blocks', 'network', 'https://github.com/yt-dlp/yt-dlp/issues/15175'],
  ['ERROR: giving up after 0 fragment retries', 'network', 'https://github.com/ytdl-org/youtube-dl/issues/27922'],
  ['无法使用，ERROR: giving up after 0 fragment retries，这是什么原因', 'network', 'https://github.com/ytdl-org/youtube-dl/issues/32916'],
  [
    "ERROR: [youtube] KJybu1Y2tyY: Unable to download API page: (<HTTPSConnection(host='www.youtube.com', port=443) at 0x1f029f5d150>, 'Connection to www.youtube.com timed out.",
    'network',
    'https://github.com/yt-dlp/yt-dlp/issues/17671',
  ],
  [
    'Error adding URL: ERROR: [youtube] k_sX2QRMUoo: Unable to download API page: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF oc',
    'network',
    'https://github.com/yt-dlp/yt-dlp/issues/16746',
  ],
  ['ERROR: Remote end closed connection without response', 'network', 'https://github.com/yt-dlp/yt-dlp/issues/11800'],
  [
    "ERROR: Unable to download webpage: Remote end closed connection without response (caused by RemoteDisconnected('Remote end closed connection without response',)); please report this issue on https://yt-dl.org/bug .",
    'network',
    'https://github.com/tizonia/tizonia-openmax-il/issues/764',
  ],
  ['ERROR: unable to download video data: The read operation timed out', 'network', 'https://github.com/ytdl-org/youtube-dl/issues/20945'],
  [
    'YouTube: unable to download video data: Remote end closed connection without response',
    'network',
    'https://github.com/ytdl-org/youtube-dl/issues/17533',
  ],

  // ── permission: members-only, Premium, copyright, country, private, age, restricted ──
  [
    'ERROR: [youtube] h7aSM88pUv8: Join this channel to get access to members-only content like this video, and other exclusive perks.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/32765',
  ],
  [
    'ERROR: [youtube] epoGMzLgyFQ: Join this channel from your computer or Android app to get access to members-only content like this video.',
    'permission',
    'https://github.com/Unrud/video-downloader/issues/319',
  ],
  [
    "ERROR: [youtube] 9iVcXphPVaM: This video is available to this channel's members on level: Assistant (or any higher level). Join this channel to get access to members-only content and other exclusive perks.",
    'permission',
    'https://github.com/yt-dlp/yt-dlp/issues/14949',
  ],
  [
    'ERROR: Join this channel to get access to members-only content like this video, and other exclusive perks.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/31238',
  ],
  ['ERROR: This video is only available to Music Premium members', 'permission', 'https://github.com/AdrianEddy/AIMPYouTube/issues/33'],
  ['ERROR: This video is only available to Music Premium Members', 'permission', 'https://github.com/alexta69/metube/issues/300'],
  [
    'ERROR: This video contains content from WMG, who has blocked it on copyright grounds.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/23015',
  ],
  [
    "ERROR: This video contains content from TOY'S FACTORY INC., who has blocked it on copyright grounds.",
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/21237',
  ],
  [
    'Video unavailable. This video contains content from SME, who has blocked it in your country on copyright grounds.',
    'permission',
    'https://github.com/yt-dlp/yt-dlp/issues/11067',
  ],
  [
    'ERROR: This video contains content from SME, who has blocked it in your country on copyright grounds.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/19015',
  ],
  [
    'ERROR: This video contains content from Mosfilm, who has blocked it from display on this website or application. Watch on YouTube',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/26712',
  ],
  [
    'ERROR: YouTube said: The uploader has not made this video available in your country.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/1091',
  ],
  [
    'yt_dlp.utils.ExtractorError: [youtube] ltcd1B8WyTM: Video unavailable. The uploader has not made this video available in your country',
    'permission',
    'https://github.com/KurtBestor/Hitomi-Downloader/issues/4948',
  ],
  [
    "yt_dlp.utils.ExtractorError: [youtube] lwUI5-fWv4U: Private video. Sign in if you've been granted access to this video",
    'permission',
    'https://github.com/KurtBestor/Hitomi-Downloader/issues/4403',
  ],
  [
    "ERROR: Private video\nSign in if you've been granted access to this video",
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/30146',
  ],
  [
    'ERROR: [youtube] M3GgCZFVBIo: Sign in to confirm your age. This video may be inappropriate for some users',
    'permission',
    'https://github.com/umputun/feed-master/issues/72',
  ],
  [
    'ERROR: [youtube] fVs0suPHAX8: Sign in to confirm your age. This video may be inappropriate for some users.',
    'permission',
    'https://github.com/yt-dlp/yt-dlp/issues/11086',
  ],
  [
    'yt_dlp.utils.DownloadError: ERROR: [youtube] pLWda_RrQn4: Sign in to confirm your age. This video may be inappropriate for some users.',
    'permission',
    'https://github.com/nandyalu/trailarr/issues/62',
  ],
  [
    'yt_dlp.utils.ExtractorError: Sign in to confirm your age. The video you have requested has been rated TV-14 and may contain content intended for mature audiences.',
    'permission',
    'https://github.com/KurtBestor/Hitomi-Downloader/issues/4486',
  ],
  [
    'ERROR: [youtube] Go5pK58afWE: Video unavailable. This video is restricted. Please check the Google Workspace administrator and/or the network administrator restrictions.',
    'permission',
    'https://github.com/pjmeca/spotify-downloader/issues/53',
  ],
  [
    'download: ERROR: [youtube] jsWTu0rJcmE: Video unavailable. This video is restricted. Please check the Google Workspace administrator and/or the network administrator restrictions.',
    'permission',
    'https://github.com/debpalash/VoiceStudio/issues/1344',
  ],
  [
    'YouTube said: This video is restricted. Try signing in with a Google Apps account.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/20846',
  ],
  [
    '[Youtube] ERROR: Video unavailable. Playback on other websites has been disabled by the video owner (web_embedded player response playability status: UNPLAYABLE)',
    'permission',
    'https://github.com/yt-dlp/yt-dlp/issues/17497',
  ],
  [
    'ERROR: N-aDHKKRdso: YouTube said: Please sign in to view this video.',
    'permission',
    'https://github.com/ytdl-org/youtube-dl/issues/5617',
  ],

  // ── not_found: removed, not available, playlists that do not resolve ──
  [
    'ERROR: [youtube:tab] @dokuzsekizmuzikyapim: Failed to resolve url (does the playlist exist?)',
    'not_found',
    'https://github.com/yt-dlp/yt-dlp/issues/8037',
  ],
  [
    'ERROR: [youtube:tab] UUdqGrFaJput9HtctMAIMO0g: YouTube said: The playlist does not exist.',
    'not_found',
    'https://github.com/Joystream/youtube-synch/issues/241',
  ],
  [
    'ERROR: [youtube:tab] PLqUdteLprhNGg1Sq_nBKjnqlhWzZlLHju: YouTube said: The playlist does not exist.',
    'not_found',
    'https://github.com/keshavbhatt/ultimate-media-downloader-linux/issues/37',
  ],
  ['ERROR: This playlist does not exist.', 'not_found', 'https://github.com/ytdl-org/youtube-dl/issues/25952'],
  [
    "ERROR: [youtube] This video has been removed for violating YouTube's Terms of Service",
    'not_found',
    'https://github.com/jely2002/youtube-dl-gui/issues/554',
  ],
  ['ERROR: j1uy3TlanSk: YouTube said: This video is not available.', 'not_found', 'https://github.com/ytdl-org/youtube-dl/issues/6401'],
  ['Video unavailable. This video is not available', 'not_found', 'https://github.com/yt-dlp/yt-dlp/issues/11556'],
  ['ERROR: [youtube] XyHm0BmtLHg: Video unavailable', 'not_found', 'https://github.com/yt-dlp/yt-dlp/issues/17702'],
  ['ERROR: RFfuY7IarAQ: YouTube said: This video does not exist.', 'not_found', 'https://github.com/ytdl-org/youtube-dl/issues/6001'],
  [
    'ERROR: [youtube:tab] UCKfVa3S1e4PHvxWcwyMMg8w: This channel does not have a channels tab',
    'not_found',
    'https://github.com/yt-dlp/yt-dlp/issues/10804',
  ],

  // ── file_io: name too long, read-only file system, access denied ──
  ['ERROR: unable to open for writing: [Errno 36] File name too long xxx', 'file_io', 'https://github.com/yt-dlp/yt-dlp/issues/6882'],
  ['ERROR: unable to open for writing: [Errno 36] Filename too long', 'file_io', 'https://github.com/alexta69/metube/issues/550'],
  ['unable to open for writing: [Errno 63] File name too long:', 'file_io', 'https://github.com/yt-dlp/yt-dlp/issues/14722'],
  [
    'ERROR: unable to open for writing: [Errno 36] File name too long: "<filename>.part-Frag0.part',
    'file_io',
    'https://github.com/ytdl-org/youtube-dl/issues/26262',
  ],
  [
    "yt_dlp.utils.DownloadError: ERROR: unable to open for writing: [Errno 36] Filename too long: '/youtube-dl/XXXXX[YYYYYYYY].f248.webm.part-Frag1.part'",
    'file_io',
    'https://github.com/manbearwiz/youtube-dl-server/issues/141',
  ],
  [
    "ERROR: Unable to download video: [Errno 30] Read-only file system: 'output.json'",
    'file_io',
    'https://github.com/yt-dlp/yt-dlp/issues/11954',
  ],
  [
    "ERROR: unable to open for writing: [Errno 30] Read-only file system: '01 - Not Worth the Wistful Sentimentality of This Moment.webm.part'",
    'file_io',
    'https://github.com/JunkFood02/Seal/issues/2131',
  ],
  [
    'ERROR: unable to download video data: [Errno 30] Read-only file system',
    'file_io',
    'https://github.com/yausername/youtubedl-android/issues/206',
  ],
  [
    "ERROR: unable to rename file: [WinError 5] Access is denied: 'C:\\\\Users\\\\john\\\\Documents\\\\Downloaded Videos\\\\tmp-video 07-19-22 4-17-2021.mp4.part' -> 'C:\\\\Users\\\\jogn\\\\Documents\\\\Downloaded Videos\\\\tmp-video 07-19-22 4-17-2021.mp4'",
    'file_io',
    'https://github.com/ytdl-org/youtube-dl/issues/28812',
  ],
  ['PermissionError: [WinError 5] Access is denied', 'file_io', 'https://github.com/ytdl-org/youtube-dl/issues/17312'],
  ['ERROR: unable to open for writing: [Errno 13] Permission denied:', 'file_io', 'https://github.com/ytdl-org/youtube-dl/issues/8771'],
  [
    'ERROR: unable to rename file: [Error 32] The process cannot access the file because it is being used by another process',
    'file_io',
    'https://github.com/ytdl-org/youtube-dl/issues/2658',
  ],
];

/** A corpus entry with several lines and a WARNING is a whole stderr; otherwise one message. */
const classify = (text: string) =>
  /^WARNING:/m.test(text) && /^ERROR:/m.test(text) ? classifyYtDlpStderr(text) : classifyYtDlpMessage(text);

describe('the corpus of real messages', () => {
  it('holds at least 60 messages, each with its source', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    for (const [, , src] of CORPUS) expect(src).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/);
  });

  it.each(CORPUS)('%s → %s', (text, category) => {
    expect(classify(text).category).toBe(category);
  });
});

describe('sheet messages', () => {
  it('say what to do instead of repeating yt-dlp’s command-line advice', () => {
    const bot = classifyYtDlpMessage(CORPUS[0]![0]).message;
    expect(bot).toBe('tpUr8xVxj-w: YouTube\'s bot check ("Sign in to confirm you\'re not a bot"): set YTDLP_COOKIES, see docs/youtube.md');
    const session = classifyYtDlpMessage(CORPUS[8]![0]).message;
    expect(session).toBe(
      "y5W-c0UwcpQ: This content isn't available, try again later. The current session has been rate-limited by YouTube for up to an hour.",
    );
    const challenge = classifyYtDlpStderr(CORPUS.find(([t]) => t.includes('vWE1Ixsg2BU'))![0]);
    expect(challenge.message).toMatch(
      /^yt-dlp could not solve YouTube's JavaScript challenge, so formats are missing: update yt-dlp \(sheet-archiver update-tools\)/,
    );
    expect(challenge.message).toMatch(/vWE1Ixsg2BU: Requested format is not available\)$/);
    expect(challenge.message).not.toMatch(/--list-formats/);
  });

  it('keep the existing clean-up: no ERROR: prefix, extractor tag, None: or report boilerplate', () => {
    const c = classifyYtDlpMessage(CORPUS.find(([t]) => t.includes('tizonia') || t.includes('RemoteDisconnected'))![0]);
    expect(c.message).toBe('Unable to download webpage: Remote end closed connection without response');
    expect(classifyYtDlpMessage('ERROR: [generic] None: Unable to download webpage: HTTP Error 404: Not Found').message).toBe(
      'Unable to download webpage: HTTP Error 404: Not Found',
    );
  });
});

describe('errorLines', () => {
  it('joins an ERROR: printed alone with the message on the next line (seen from yt-dlp 2023.03.04 with --newline)', () => {
    const stderr =
      'WARNING: [generic] Falling back on generic information extractor\nERROR: \n[download] Got error: <urlopen error file:// URLs are explicitly disabled in yt-dlp for security reasons. Use --enable-file-urls to enable at your own risk.>. Giving up after 3 retries\n';
    expect(errorLines(stderr)).toEqual([
      'ERROR: [download] Got error: <urlopen error file:// URLs are explicitly disabled in yt-dlp for security reasons. Use --enable-file-urls to enable at your own risk.>. Giving up after 3 retries',
    ]);
    expect(classifyYtDlpStderr(stderr, { code: 1, signal: null }).category).toBe('validation');
  });
});
