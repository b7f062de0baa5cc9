/** Plain-text table: first column left-aligned, the others right-aligned (numbers). */
export function textTable(head: string[], rows: string[][], bold: (s: string) => string = (s) => s, leftColumns = 1): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [bold(line(head)), ...rows.map(line)].join('\n');
}

/** GitHub-flavoured markdown table; `|` in cells is escaped. */
export function markdownTable(head: string[], rows: string[][], leftColumns = 1): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const align = head.map((_, i) => (i < leftColumns ? ':--' : '--:'));
  return [head, align, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(cell)).join(' | ')} |`).join('\n');
}

/** RFC 4180 CSV with a header line. */
export function csvTable(head: string[], rows: Array<Array<string | number | null>>): string {
  const field = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[head, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}
