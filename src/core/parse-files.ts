import type { Diagnostic } from './diagnostics.js';
import type { ParseCache } from './parse-cache.js';
import type { FileKind } from './schemas/index.js';
import { parseYaml, readText, type SourceFile } from './source.js';
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

/**
 * Reads, parses and schema-validates files (diagnostics located at file:line:col). With a cache,
 * a file whose exact text was parsed before is not parsed again: YAML parsing dominates loading.
 */
export function parseFiles(root: string, jobs: FileJob[], maxBytes: number, cache?: ParseCache): ParsedFile[] {
  return jobs.map(({ file, kind }) => {
    const { text, diagnostics: readDiagnostics } = readText({ root, file, maxBytes });
    if (text === undefined) return { file, kind, valid: false, diagnostics: readDiagnostics };
    const cached = cache?.get(kind, text);
    if (cached) return { file, kind, text, ...cached, diagnostics: cached.diagnostics.map((d) => ({ ...d, file })) };
    const parsed = parseYaml(file, text);
    let result: ParsedFile;
    if (parsed.diagnostics.length > 0 || parsed.value === undefined) {
      result = { file, kind, text, source: parsed.source, valid: false, diagnostics: parsed.diagnostics };
    } else {
      const diagnostics = validateSchema(kind, parsed.value, parsed.source);
      result = { file, kind, text, source: parsed.source, value: parsed.value, valid: diagnostics.length === 0, diagnostics };
    }
    cache?.set(kind, text, { value: result.value, valid: result.valid, diagnostics: result.diagnostics });
    return result;
  });
}

/** The positioned source of a parsed file, parsed again on demand when it came from the cache. */
export function sourceOf(parsed: ParsedFile): SourceFile | undefined {
  if (!parsed.source && parsed.text !== undefined) parsed.source = parseYaml(parsed.file, parsed.text).source;
  return parsed.source;
}
