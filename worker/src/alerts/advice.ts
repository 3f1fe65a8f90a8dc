/**
 * Plain-words advice for a failure-rate alert, from the dominant failure category and its
 * messages (docs/design.md §4 categories; the messages are those sources/ytdlp/classify.ts and
 * the Drive source write). Falls back to the category's ERROR_ADVICE.
 */
import { ERROR_ADVICE, type ErrorCategory } from '../../../shared/errors.js';

/** `share` of the recent jobs failed with `category`; `example` is one of their messages. */
export function failureAdvice(category: ErrorCategory, share: number, example: string): string {
  const pct = `${Math.round(share * 100)} %`;
  const m = example.toLowerCase();
  if (category === 'rate_limit' || /sign in|not a bot|confirm you.re|cookies/.test(m)) {
    return `YouTube is asking for sign-in on ${pct} of jobs: refresh YTDLP_COOKIES (docs/youtube.md#cookies)`;
  }
  if (category === 'system' && /requested format|unable to extract|signature|nsig/.test(m)) {
    return `yt-dlp cannot read YouTube's formats on ${pct} of jobs: run \`sheet-archiver update-tools\` (docs/youtube.md#install-and-update-yt-dlp)`;
  }
  switch (category) {
    case 'not_found':
      return `${pct} of jobs point at media that is gone or a wrong link: fix the links in the sheet (\`sheet-archiver failed\` lists the rows), then reset those rows`;
    case 'quota':
      return `A download or API quota is used up on ${pct} of jobs: wait (Drive and Sheets quotas refill within a day), then retry the failed rows`;
    case 'file_io':
      return `Storage writes fail on ${pct} of jobs: free disk space under ARCHIVER_DATA, or check the bucket and its permissions (docs/storage.md)`;
    case 'permission':
      return `${pct} of jobs hit private or gated media: share it with the service account or make it public, or give yt-dlp cookies (docs/youtube.md#cookies)`;
    case 'network':
      return `${pct} of jobs cannot reach their host: check the worker's network, DNS and ARCHIVER_ALLOWED_HOSTS`;
    case 'system':
      return `The downloader fails on ${pct} of jobs: run \`sheet-archiver update-tools\` and read the worker log for the error`;
    default:
      return `${pct} of jobs failed with ${category}: ${ERROR_ADVICE[category]}`;
  }
}
