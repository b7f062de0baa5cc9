import { countBySeverity, type Diagnostic } from '../core/diagnostics.js';
import { plural } from '../core/plural.js';
import { redact } from '../core/redact.js';
import type { Colors } from './io.js';

export type OutputFormat = 'human' | 'json' | 'github';

/**
 * vitest-style code frame: numbered lines around the location, a caret under the column. Secrets
 * are masked (`redact`): the frame of a `secret-in-config` error must not print the secret.
 */
export function codeFrame(text: string, line: number, col: number, c: Colors, context = 2): string {
  const lines = linesOf(text);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? c.red('>') : ' ';
    out.push(`${marker} ${c.dim(String(n).padStart(width))} | ${redact(lines[n - 1] ?? '')}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}${c.red('^')}`);
  }
  return out.join('\n');
}

// Frames of one file come one after another; splitting its text once per frame made thousands of diagnostics quadratic.
let lastText: string | undefined;
let lastLines: string[] = [];
function linesOf(text: string): string[] {
  if (text !== lastText) [lastText, lastLines] = [text, text.split(/\r?\n/)];
  return lastLines;
}

const SEVERITY_COLOR = { error: 'red', warning: 'yellow', info: 'blue' } as const;

/** Human output lists at most this many diagnostics per file (with code frames); `--json` lists every one. */
export const MAX_SHOWN_PER_FILE = 100;

export function formatHuman(diagnostics: Diagnostic[], readFile: (file: string) => string | undefined, c: Colors): string {
  const blocks: string[] = [];
  const shown = new Map<string, number>();
  const hidden = new Map<string, number>();
  for (const d of diagnostics) {
    const key = d.file ?? '';
    const count = (shown.get(key) ?? 0) + 1;
    shown.set(key, count);
    if (count > MAX_SHOWN_PER_FILE) {
      hidden.set(key, (hidden.get(key) ?? 0) + 1);
      continue;
    }
    const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.col ?? 1}` : ''} ` : '';
    const lines = [`${c.bold(where)}${c[SEVERITY_COLOR[d.severity]](d.severity)} ${c.dim(`[${d.code}]`)} ${d.message}`];
    const text = d.file && d.line ? readFile(d.file) : undefined;
    if (text !== undefined && d.line) lines.push(codeFrame(text, d.line, d.col ?? 1, c));
    if (d.hint) lines.push(`  ${c.cyan('hint:')} ${d.hint}`);
    blocks.push(lines.join('\n'));
  }
  for (const [file, n] of hidden) blocks.push(c.dim(`${file || '(no file)'}: ${plural(n, 'more diagnostic')} not shown (the first ${MAX_SHOWN_PER_FILE} are listed; --json lists all)`));
  return blocks.join('\n\n');
}

export function summaryLine(diagnostics: Diagnostic[], c: Colors): string {
  const { error, warning } = countBySeverity(diagnostics);
  if (error > 0) return c.red(`✖ ${plural(error, 'error')}, ${plural(warning, 'warning')}`);
  return warning > 0 ? c.yellow(`✔ valid, ${plural(warning, 'warning')}`) : c.green('✔ valid');
}

/** GitHub workflow commands: annotations on the pull request's changed files. */
export function formatGithub(diagnostics: Diagnostic[]): string {
  return diagnostics
    .map((d) => workflowCommand(d.severity === 'info' ? 'notice' : d.severity, { file: d.file, line: d.line, col: d.col, title: `promptops [${d.code}]` }, d.message + (d.hint ? `\nhint: ${d.hint}` : '')))
    .join('\n');
}

export interface AnnotationProperties {
  file?: string;
  line?: number;
  col?: number;
  title?: string;
}

/**
 * One workflow command (`::error file=…,line=…,title=…::message`), the only writer of them, so
 * every `--format github` output escapes alike. The runner splits properties on "," and "=", so
 * property values also escape ":" and ","; the message escapes only "%", CR and LF.
 */
export function workflowCommand(kind: 'error' | 'warning' | 'notice', properties: AnnotationProperties, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${kind}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function diagnosticsJson(diagnostics: Diagnostic[]) {
  const counts = countBySeverity(diagnostics);
  return { ok: counts.error === 0, errors: counts.error, warnings: counts.warning, diagnostics };
}
