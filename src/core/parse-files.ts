import type { Diagnostic } from './diagnostics.js';
import type { FileKind } from './schemas/index.js';
import { parseYaml, readYaml, type SourceFile } from './source.js';
import { validateSchema } from './validate-schema.js';

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
    const parsed = readYaml({ root, file, maxBytes });
    if (parsed.diagnostics.length > 0 || parsed.value === undefined) {
      return { file, kind, text: parsed.source?.text, source: parsed.source, valid: false, diagnostics: parsed.diagnostics };
    }
    const diagnostics = validateSchema(kind, parsed.value, parsed.source);
    return { file, kind, text: parsed.source?.text, source: parsed.source, value: parsed.value, valid: diagnostics.length === 0, diagnostics };
  });
}

/** The positioned source of a parsed file. */
export function sourceOf(parsed: ParsedFile): SourceFile | undefined {
  if (!parsed.source && parsed.text !== undefined) parsed.source = parseYaml(parsed.file, parsed.text).source;
  return parsed.source;
}
