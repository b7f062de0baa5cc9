import type { ArgsDef } from 'citty';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { readText } from '../core/source.js';
import { usageError } from './errors.js';
import { diagnosticsJson, formatGithub, formatHuman, summaryLine, type OutputFormat } from './format.js';
import { colors, type Io } from './io.js';

/** Flags most commands share. */
export const commonArgs = {
  root: { type: 'string', description: 'Repository root (default: current directory)', valueHint: 'dir' },
  json: { type: 'boolean', description: 'Machine-readable JSON output' },
  format: { type: 'enum', options: ['human', 'json', 'github'], description: 'Output format: human, json, or github (workflow annotations)' },
} satisfies ArgsDef;

export function resolveRoot(io: Io, root: string | undefined): string {
  const dir = root ? resolve(io.cwd, root) : io.cwd;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`promptops: repository root "${root}" is not a directory`);
  return dir;
}

/** A flag that must be a positive integer; undefined when not given. */
export function positiveInt(command: string, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`promptops ${command}: ${flag} must be a positive integer, got "${value}"`);
  return n;
}

export function outputFormat(args: { json?: boolean; format?: string }): OutputFormat {
  return args.json ? 'json' : ((args.format as OutputFormat | undefined) ?? 'human');
}

/** Reads a repository file's text for a code frame; undefined when it has none. */
export type FileReader = (file: string) => string | undefined;

/**
 * Prints diagnostics in the chosen format; JSON output goes to stdout, human output to stderr.
 * `source` is the repository root to read code frames from, or the reader of the texts that were
 * checked (a git ref's files are not in the working tree).
 */
export function printDiagnostics(io: Io, source: string | FileReader, diagnostics: Diagnostic[], format: OutputFormat, extra: Record<string, unknown> = {}): void {
  if (format === 'json') {
    io.out(JSON.stringify({ version: 1, ...diagnosticsJson(diagnostics), ...extra }, null, 2));
    return;
  }
  if (format === 'github') {
    if (diagnostics.length) io.out(formatGithub(diagnostics));
    return;
  }
  const c = colors(io);
  const read = typeof source === 'string' ? (file: string) => readQuietly(source, file) : source;
  if (diagnostics.length > 0) io.err(`${formatHuman(diagnostics, read, c)}\n`);
}

export function summary(io: Io, diagnostics: Diagnostic[]): string {
  return summaryLine(diagnostics, colors(io));
}

/** Repository files go through the repository's one read path, so a refused link never shows its target in a frame. */
function readQuietly(root: string, file: string): string | undefined {
  try {
    return isAbsolute(file) ? readFileSync(file, 'utf8') : readText({ root, file }).text;
  } catch {
    return undefined;
  }
}
