/**
 * Every `sheet-archiver …` command line the docs give a person exists: the command (and its
 * subcommand, for `catalogue` and `webhooks`) is in the built CLI's --help, and every `--flag`
 * written after it is one that command's --help lists. Catches docs that drift from the CLI.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/sheet-archiver.js');
const help = (args: string[]): string => execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' });

/** Command names in a --help text's "Commands:" section. */
function commandsOf(text: string): string[] {
  const section = text.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

/** `sheet-archiver <cmd> …` as a person would type it: after `npx `, a backtick or at a line start. */
function docLines(): { file: string; words: string[] }[] {
  const files = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: { file: string; words: string[] }[] = [];
  for (const file of files) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:^|npx |`)sheet-archiver ([a-z][^`\n|#;&>]*)/gm)) {
      out.push({ file, words: m[1]!.trim().split(/\s+/) });
    }
  }
  return out;
}

describe('the docs name only commands and flags the CLI has', () => {
  it('every documented sheet-archiver command line', () => {
    const top = commandsOf(help([]));
    expect(top).toEqual(expect.arrayContaining(['serve', 'run', 'doctor', 'catalogue', 'verify', 'webhooks']));
    const lines = docLines();
    expect(lines.length).toBeGreaterThan(30);
    const helps = new Map<string, string>();
    const helpOf = (path: string[]) => {
      const k = path.join(' ');
      if (!helps.has(k)) helps.set(k, help(path));
      return helps.get(k)!;
    };
    const problems: string[] = [];
    for (const { file, words } of lines) {
      const cmd = words[0]!;
      if (!top.includes(cmd)) continue; // prose such as "sheet-archiver is refused", not a command line
      const path = [cmd];
      const subs = commandsOf(helpOf(path));
      if (subs.length && words[1] && subs.includes(words[1])) path.push(words[1]);
      const text = helpOf(path);
      for (const w of words.slice(path.length)) {
        const flag = /^(--[a-z][a-z-]*)/.exec(w)?.[1];
        if (flag && flag !== '--help' && !text.includes(flag)) problems.push(`${file}: sheet-archiver ${path.join(' ')} has no ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
