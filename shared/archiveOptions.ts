/**
 * The optional `archive_options` input column (design §1): per-row overrides of the dispatch
 * options. `key=value` tokens separated by `;` or whitespace, keys and keyword values
 * case-insensitive. Runtime-agnostic: the add-on, `validate` and the worker parse it the same way.
 */

/** What one row may override. Absent fields fall back to the dispatch's options. */
export interface RowArchiveOptions {
  /** video: media + subtitles; audio: audio-only media; transcript: subtitles and info only */
  mode?: 'video' | 'audio' | 'transcript';
  /** largest video height in pixels (144–4320) */
  maxHeight?: number;
  /** subtitle languages in yt-dlp `--sub-langs` syntax, e.g. `en.*`, `pt-BR`, `-live_chat` */
  subs?: string[];
  /** archive the comments (capped by ARCHIVER_MAX_COMMENTS on the worker) */
  comments?: boolean;
}

/** One token the parser refused, with why. */
export interface ArchiveOptionProblem {
  token: string;
  message: string;
}

export type ArchiveOptionsResult =
  { ok: true; options: RowArchiveOptions } | { ok: false; options: RowArchiveOptions; problems: ArchiveOptionProblem[] };

/** The keys the column understands, in the order the docs list them. */
export const ARCHIVE_OPTION_KEYS = ['mode', 'max_height', 'subs', 'comments'] as const;

const MODES = ['video', 'audio', 'transcript'] as const;
// One yt-dlp --sub-langs item: a language code or regex, optionally negated with a leading '-'.
const SUB_LANG_RE = /^-?[A-Za-z0-9_.*+?^$|()[\]-]{1,40}$/;

function parseToken(token: string, into: RowArchiveOptions): string | null {
  const eq = token.indexOf('=');
  if (eq <= 0) return 'expected key=value';
  const key = token.slice(0, eq).trim().toLowerCase();
  const value = token.slice(eq + 1).trim();
  if (!value) return `"${key}" needs a value`;
  switch (key) {
    case 'mode': {
      const v = value.toLowerCase();
      if (!(MODES as readonly string[]).includes(v)) return `mode must be one of ${MODES.join(', ')}`;
      into.mode = v as RowArchiveOptions['mode'];
      return null;
    }
    case 'max_height': {
      if (!/^\d{1,5}$/.test(value)) return 'max_height must be a whole number of pixels';
      const n = Number(value);
      if (n < 144 || n > 4320) return 'max_height must be between 144 and 4320';
      into.maxHeight = n;
      return null;
    }
    case 'subs': {
      const langs = value.split(',').map((s) => s.trim());
      const bad = langs.find((l) => !SUB_LANG_RE.test(l));
      if (bad !== undefined) return `"${bad}" is not a subtitle language (yt-dlp --sub-langs syntax, e.g. en,pt-BR)`;
      into.subs = langs;
      return null;
    }
    case 'comments': {
      const v = value.toLowerCase();
      if (v === 'yes' || v === 'true' || v === '1') into.comments = true;
      else if (v === 'no' || v === 'false' || v === '0') into.comments = false;
      else return 'comments must be yes or no';
      return null;
    }
    default:
      return `unknown key "${key}" (known: ${ARCHIVE_OPTION_KEYS.join(', ')})`;
  }
}

/**
 * Parses an `archive_options` cell.
 * @param cell the cell's value; empty, null or undefined gives `{ ok: true, options: {} }`.
 * @returns the options, or every refused token with a message naming the rule it broke.
 * Never throws.
 */
export function parseArchiveOptions(cell: unknown): ArchiveOptionsResult {
  const text = String(cell ?? '').trim();
  const options: RowArchiveOptions = {};
  const problems: ArchiveOptionProblem[] = [];
  if (!text) return { ok: true, options };
  for (const token of text.split(/[;\s]+/)) {
    if (!token) continue;
    const message = parseToken(token, options);
    if (message) problems.push({ token, message });
  }
  return problems.length ? { ok: false, options, problems } : { ok: true, options };
}

/** The canonical cell text of some options (`mode=audio; max_height=720`), e.g. for the docs and tests. */
export function formatArchiveOptions(options: RowArchiveOptions): string {
  const parts: string[] = [];
  if (options.mode) parts.push(`mode=${options.mode}`);
  if (options.maxHeight !== undefined) parts.push(`max_height=${options.maxHeight}`);
  if (options.subs?.length) parts.push(`subs=${options.subs.join(',')}`);
  if (options.comments !== undefined) parts.push(`comments=${options.comments ? 'yes' : 'no'}`);
  return parts.join('; ');
}
