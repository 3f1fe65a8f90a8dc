/** Small helpers shared by the add-on's modules. Apps Script V8: no timers, no URL, no Node APIs. */

/** Milliseconds since the epoch. One place, so the vm tests can drive the clock through `Date`. */
export function nowMs(): number {
  return Date.now();
}

/** ISO 8601 UTC without milliseconds, as design §1 writes it: `2026-11-21T09:15:02Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A value ready for `Range.setValues` that Sheets stores as typed text, never as a formula,
 * number or date.
 *
 * `Range.setValues` interprets strings as if the user typed them (a leading `=` makes a formula,
 * `2026-11-21` a date, `007` a number). Sheets' documented way to keep typed input as text is a
 * leading apostrophe: it is not stored, `getValues` returns the text without it. So every
 * non-empty string gets one. Numbers, booleans and Dates pass through unchanged (they are already
 * typed values); null/undefined become ''.
 */
export function plainText(v: unknown): string | number | boolean | Date {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Object.prototype.toString.call(v) === '[object Date]') return v as Date;
  return "'" + String(v);
}

/** The message of anything thrown (Apps Script exceptions are Errors; strings pass through). */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** `n row`/`n rows`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
