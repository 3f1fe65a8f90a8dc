/**
 * The yt-dlp source: see source.ts. Re-exports what the server (/readyz), `doctor` and the CLI use.
 */
export { createYtDlpSource, type YtDlpSourceOptions } from './source.js';
export { findYtDlp, ytdlpVersion } from './binary.js';
export { classifyYtDlpMessage, classifyYtDlpStderr, cleanYtDlpMessage, type ClassifiedError } from './classify.js';
export { buildDownloadArgs, buildProbeArgs, commentArgs, formatSelector, type DownloadPlan } from './args.js';
export { itemOptions, type ItemOptions } from './options.js';
export { durationTolerance, verifyItem, verifySubtitles, type VerifyOptions } from './verify.js';
export { parseItemLine, parseProgressLine, type DownloadedItem, type ProgressEvent } from './progress.js';
export { killProcessGroup, runYtDlp } from './process.js';
