/**
 * Lanes (design §4): jobs that hit the same remote service share a lane, so a rate limit on one
 * job pauses the others of its lane instead of letting them run into the same limit.
 */
import type { SourceName } from '../../../shared/columns.js';
import { hostOf, parseLink } from '../../../shared/links.js';

/**
 * The lane of a job: `reprocess` for reprocess jobs (they read only storage: no remote service's
 * pause may hold them), `youtube` for YouTube links (every YouTube host is one service), `drive`
 * for Drive, otherwise the media host (`host[:port]`) of the first link.
 */
export function laneOf(source: SourceName, links: readonly string[], kind?: 'archive' | 'reprocess'): string {
  if (kind === 'reprocess') return 'reprocess';
  if (source === 'drive') return 'drive';
  const first = links[0] ?? '';
  if (parseLink(first)?.source === 'youtube') return 'youtube';
  return hostOf(first) ?? 'youtube';
}
