/**
 * Durations as people write them in settings and env vars: `90s`, `15m`, `12h`, `7d`, `2w`
 * (one number, one unit). Runtime-agnostic (bundled into Apps Script).
 */

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `<number><s|m|h|d|w>` (case-insensitive, surrounding spaces ignored) to milliseconds.
 * @returns ms (> 0), or null for anything else (empty, zero, negative, unknown unit).
 */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(String(text ?? ''));
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}
