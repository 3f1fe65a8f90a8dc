/** Durations written the way operators type them: `90s`, `30m`, `6h`, `7d` (a bare number is seconds). */

import { parseDuration as parseSharedDuration } from '../../../shared/duration.js';

/**
 * Parses a duration into ms.
 * @returns null when `text` is not one (so the caller can name the field in its error).
 */
export function parseDuration(text: string): number | null {
  // the forms operators add here (a bare number of seconds, `ms`) reduce to the shared parser's
  const t = String(text ?? '').trim();
  const ms = /^([0-9]{1,12})\s*ms$/i.exec(t);
  if (ms) return Number(ms[1]) > 0 ? Number(ms[1]) : null;
  return parseSharedDuration(/^[0-9]{1,9}(\.[0-9]{1,3})?$/.test(t) ? `${t}s` : t);
}

/** 5400000 → "1h 30m"; 172800000 → "2d"; under a minute in seconds. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : '', h ? `${h}h` : '', min && !d ? `${min}m` : ''].filter(Boolean).join(' ') || '0m';
}
