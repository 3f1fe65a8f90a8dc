/**
 * The yt-dlp source: see source.ts. Re-exports what the server (/readyz), `doctor` and the CLI use.
 */
export { createYtDlpSource, downloadPlan, DEFAULT_CHANNEL_MAX, type YtDlpSourceOptions } from './source.js';
export { findYtDlp, ytdlpVersion } from './binary.js';
export { classifyYtDlpMessage, classifyYtDlpStderr, cleanYtDlpMessage, type ClassifiedError } from './classify.js';
export { buildDownloadArgs, commentArgs, formatSelector, type DownloadPlan } from './args.js';
export { holdsMode, itemOptions, type ItemOptions } from './options.js';
export { durationTolerance, verifyItem, verifySubtitles, type VerifyOptions } from './verify.js';
export { archiveLine, isGenericId, itemMediaId } from './mediaIds.js';
export { parseItemLine, parseListLine, parseProgressLine, parseStartLine, type DownloadedItem, type ProgressEvent } from './progress.js';
export { killProcessGroup, runYtDlp } from './process.js';
export { pythonOf, YtDlpHelperPool, type HelperPoolOptions } from './pool.js';
