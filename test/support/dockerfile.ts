/**
 * A small Dockerfile parser for tests (no parser package is installed). Follows the Dockerfile
 * reference (https://docs.docker.com/reference/dockerfile/): parser directives (`# syntax=…`) only
 * before the first instruction; `#` comments only at the start of a line; a trailing `\` continues
 * an instruction on the next line (comment lines inside a continuation are dropped); instructions are
 * case-insensitive; exec form is a JSON array, anything else is shell form. Stages start at FROM.
 */

export interface Instruction {
  /** upper-case keyword: FROM, RUN, ENV… */
  keyword: string;
  /** the arguments as written, continuations joined with a space */
  args: string;
  /** the JSON array when the arguments are in exec form */
  exec: string[] | null;
  /** 1-based line of the keyword */
  line: number;
  /** index of the stage (FROM) it belongs to; -1 before the first FROM (ARG only) */
  stage: number;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  instructions: Instruction[];
  stages: Stage[];
}

function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** Parses Dockerfile text. @throws Error on an instruction line that has no keyword. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/);
  const directives: Record<string, string> = {};
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  let directivesOpen = true;
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      // a directive is `# key=value` before any other comment, blank line or instruction
      const d = directivesOpen ? /^#\s*([a-zA-Z]+)\s*=\s*(.+?)\s*$/.exec(trimmed) : null;
      if (d) directives[d[1]!.toLowerCase()] = d[2]!;
      else directivesOpen = false;
      i++;
      continue;
    }
    directivesOpen = false;
    const start = i + 1;
    let joined = '';
    for (;;) {
      const l = lines[i] ?? '';
      i++;
      const cont = /\\\s*$/.test(l);
      joined += (joined ? ' ' : '') + (cont ? l.replace(/\\\s*$/, '') : l).trim();
      if (!cont) break;
      while (i < lines.length && /^\s*#/.test(lines[i]!)) i++; // comments inside a continuation
      if (i >= lines.length) break;
    }
    const m = /^([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(joined.trim());
    if (!m) throw new Error(`line ${start}: not an instruction: ${joined}`);
    const keyword = m[1]!.toUpperCase();
    const args = (m[2] ?? '').trim();
    if (keyword === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`line ${start}: bad FROM: ${args}`);
      stages.push({ image: f[1]!, name: f[2] ?? null, instructions: [] });
    }
    const ins: Instruction = { keyword, args, exec: execForm(args), line: start, stage: stages.length - 1 };
    instructions.push(ins);
    stages[stages.length - 1]?.instructions.push(ins);
  }
  return { directives, instructions, stages };
}

/**
 * The variables an ENV instruction sets: `ENV K=V K2="v 2"` or the legacy `ENV K V`.
 * Quotes are removed; escapes are not interpreted beyond `\"`.
 */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[A-Za-z_][\w.-]*=/.test(args)) {
    const legacy = /^(\S+)\s+([\s\S]*)$/.exec(args);
    if (legacy) out[legacy[1]!] = legacy[2]!;
    return out;
  }
  const re = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of args.matchAll(re)) {
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? v.slice(1, -1).replace(/\\"/g, '"') : v.startsWith("'") ? v.slice(1, -1) : v;
  }
  return out;
}
