/** Plain-text tables and JSON output for the CLI. Tables go to stdout; messages to stderr. */

/** Prints `rows` under `headers` as an aligned text table. Cells are flattened to one line. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const flat = (v: string | number) => String(v).replace(/\s+/g, ' ');
  const all = [headers, ...rows.map((r) => r.map(flat))];
  const widths = headers.map((_, i) => Math.min(60, Math.max(...all.map((r) => [...(r[i] ?? '')].length))));
  const fit = (s: string, w: number) => {
    const chars = [...s];
    return chars.length > w ? chars.slice(0, w - 1).join('') + '…' : s + ' '.repeat(w - chars.length);
  };
  const line = (r: string[]) =>
    r
      .map((c, i) => fit(c ?? '', widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** Writes a value as pretty JSON to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Human-readable bytes: 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** "1m 05s" for a duration in ms. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}
