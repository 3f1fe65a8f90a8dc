/** Durations written the way operators type them: `90s`, `30m`, `6h`, `7d` (a bare number is seconds). */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * Parses a duration into ms.
 * @returns null when `text` is not one (so the caller can name the field in its error).
 */
export function parseDuration(text: string): number | null {
  const m = /^\s*([0-9]{1,9}(?:\.[0-9]{1,3})?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
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
