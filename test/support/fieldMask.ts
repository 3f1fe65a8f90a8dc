/**
 * Google's partial-response `fields` parameter, for the Sheets and Drive stand-ins
 * (https://developers.google.com/drive/api/guides/fields-parameter,
 * https://developers.google.com/sheets/api/guides/field-masks):
 * `nextPageToken,files(id,name,capabilities(canDownload))`, `sheets.properties(sheetId,title)`,
 * `a/b`, and `*` for everything.
 */

/** A parsed selector: field name → nested selector, or true for the whole field. */
export type FieldTree = Map<string, FieldTree | true>;

function merge(tree: FieldTree, name: string, sub: FieldTree | true): void {
  const prev = tree.get(name);
  if (prev === undefined) tree.set(name, sub);
  else if (prev === true || sub === true) tree.set(name, true);
  else for (const [k, v] of sub) merge(prev, k, v);
}

/** Parses a `fields` value. Paths (`a.b`, `a/b`) nest; parentheses select sub-fields. */
export function parseFieldMask(s: string): FieldTree {
  let i = 0;
  const name = (): string => {
    let n = '';
    while (i < s.length && /[A-Za-z0-9_*]/.test(s[i]!)) n += s[i++];
    return n;
  };
  // what follows a name: `.b` / `/b` (one nested path element), `(…)` (a list), or nothing
  const suffix = (): FieldTree | true => {
    if (s[i] === '.' || s[i] === '/') {
      i++;
      const tree: FieldTree = new Map();
      const n = name();
      const sub = suffix();
      if (n) tree.set(n, sub);
      return tree;
    }
    if (s[i] === '(') {
      i++;
      const tree = list();
      if (s[i] === ')') i++;
      return tree;
    }
    return true;
  };
  const list = (): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      while (s[i] === ' ') i++;
      const n = name();
      const sub = suffix();
      if (n) merge(tree, n, sub);
      if (s[i] !== ',') return tree;
      i++;
    }
  };
  return list();
}

/** Keeps only the selected fields of `v` (arrays: of each element). */
export function applyFieldMask(v: unknown, tree: FieldTree | true): unknown {
  if (tree === true || tree.has('*')) return v;
  if (Array.isArray(v)) return v.map((x) => applyFieldMask(x, tree));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of tree) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = applyFieldMask(x, sub);
  }
  return out;
}
