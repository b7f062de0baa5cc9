import type { Diagnostic } from './diagnostics.js';
import type { FileKind } from './schemas/index.js';
import { parseYaml, parseYamlValue, readText, type SourceFile } from './source.js';
import { validateSchema, validatorFor } from './validate-schema.js';

export interface FileJob {
  file: string;
  kind: FileKind;
}

/** What loading one YAML file yields. */
export interface ParsedFile {
  file: string;
  kind: FileKind;
  text?: string;
  value?: unknown;
  valid: boolean;
  diagnostics: Diagnostic[];
  source?: SourceFile;
}

/** Reads, parses and schema-validates files (diagnostics located at file:line:col). */
export function parseFiles(root: string, jobs: FileJob[], maxBytes: number): ParsedFile[] {
  return jobs.map(({ file, kind }) => {
    const { text, diagnostics: readDiagnostics } = readText({ root, file, maxBytes });
    if (text === undefined) return { file, kind, valid: false, diagnostics: readDiagnostics };
    const fast = parseYamlValue(text);
    if (fast !== undefined && validatorFor(kind)(fast)) {
      // Valid files never need positions; a tree is built only if a later check reports on the file.
      return { file, kind, text, value: fast, valid: true, diagnostics: [] };
    }
    const parsed = parseYaml(file, text);
    if (parsed.diagnostics.length > 0 || parsed.value === undefined) {
      return { file, kind, text, source: parsed.source, valid: false, diagnostics: parsed.diagnostics };
    }
    const diagnostics = validateSchema(kind, parsed.value, parsed.source);
    return { file, kind, text, source: parsed.source, value: parsed.value, valid: diagnostics.length === 0, diagnostics };
  });
}

/** The positioned source of a parsed file, built on demand for files that took the fast path. */
export function sourceOf(parsed: ParsedFile): SourceFile | undefined {
  if (!parsed.source && parsed.text !== undefined) parsed.source = parseYaml(parsed.file, parsed.text).source;
  return parsed.source;
}
