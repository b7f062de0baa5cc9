import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { quote } from './quote.js';
import { isSymlink, linkDiagnostic, resolveInRepository } from './repository-path.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** Aliases are legitimate in YAML but an alias bomb expands exponentially; more than this is refused. */
const MAX_ALIAS_COUNT = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A file read from the repository, with what is needed to point diagnostics at line:col. */
export interface SourceFile {
  /** Repository-relative POSIX path. */
  file: string;
  text: string;
  lines: LineCounter;
  doc?: Document.Parsed;
}

export interface ReadOptions {
  root: string;
  file: string;
  maxBytes?: number;
}

/**
 * Reads a repository file: the one read path for repository content. Refuses symbolic links that
 * leave the repository or enter `.git`, dangling links, oversized files and invalid UTF-8, each
 * with a diagnostic at the file.
 */
export function readText({ root, file, maxBytes = DEFAULT_MAX_FILE_BYTES }: ReadOptions): { text?: string; diagnostics: Diagnostic[] } {
  const where = resolveInRepository(root, file);
  if ('problem' in where && (where.problem !== 'missing' || isSymlink(root, file))) return { diagnostics: [linkDiagnostic(file, where.problem)] };
  // The resolved path is read, not the link again: a link swapped after the check cannot redirect the read.
  const abs = 'path' in where ? where.path : resolve(root, file);
  const size = statSync(abs).size;
  if (size > maxBytes) {
    return {
      diagnostics: [{
        code: 'file-too-large', severity: 'error', file, line: 1, col: 1,
        message: `file is ${size} bytes, over the limit of ${maxBytes} bytes`,
        hint: 'split it into smaller files, or raise limits.max_file_bytes in promptops.config.yaml',
      }],
    };
  }
  const bytes = readFileSync(abs);
  // The native check is fast; the byte scan that locates the problem runs only for invalid files.
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const before = bytes.subarray(0, bad);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const col = bad - before.lastIndexOf(0x0a);
    return {
      diagnostics: [{
        code: 'invalid-utf8', severity: 'error', file, line, col,
        message: `invalid UTF-8 byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at byte ${bad}`,
        hint: 'save the file as UTF-8',
      }],
    };
  }
  const text = bytes.toString('utf8');
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, diagnostics: [] };
}

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    for (let k = 1; k < len; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong 3/4-byte forms and UTF-16 surrogates are invalid UTF-8 too.
    const b1 = bytes[i + 1]!;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return i;
    i += len;
  }
  return -1;
}

export interface ParsedYaml {
  source?: SourceFile;
  value?: unknown;
  diagnostics: Diagnostic[];
}

export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  // logLevel: yaml warns about collection keys (`? [a]: 1`) through process.emitWarning, which prints to stderr; the schema reports such a key.
  // uniqueKeys: yaml compares each key with every earlier one of its map (quadratic: 20 000 keys took
  // 30 s); duplicateKeys does the same check with a Set.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'error' });
  const source: SourceFile = { file, text, lines, doc };
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number) => lines.linePos(offset);
  const problems = [...doc.errors.map((err) => ({ offset: err.pos[0], message: firstLine(err.message), duplicate: false })), ...duplicateKeys(doc)].sort((a, b) => a.offset - b.offset);
  for (const problem of problems) {
    diagnostics.push({
      code: problem.duplicate ? 'duplicate-key' : 'yaml-syntax',
      severity: 'error',
      file,
      ...pos(at(problem.offset)),
      message: problem.message,
      hint: problem.duplicate ? 'remove or rename one of the keys; YAML keys must be unique' : 'fix the YAML syntax (check indentation and quoting)',
    });
  }
  if (diagnostics.length > 0) return { source, diagnostics };
  if (doc.contents === null) {
    return { source, diagnostics: [{ code: 'empty-file', severity: 'error', file, line: 1, col: 1, message: 'file is empty', hint: 'add content or delete the file' }] };
  }
  // toJS throws on the first unresolved alias with no position; each one is reported at the alias instead.
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return;
      diagnostics.push({
        code: 'unknown-alias', severity: 'error', file, ...pos(at(alias.range?.[0] ?? 0)),
        message: `unknown alias ${quote(`*${alias.source}`)}`,
        hint: `define the anchor "&${alias.source.slice(0, 40)}" before the alias, or fix the alias name`,
      });
    },
  });
  if (diagnostics.length > 0) return { source, diagnostics };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    return {
      source,
      diagnostics: [{
        code: 'alias-limit', severity: 'error', file, line: 1, col: 1,
        message: `too many alias expansions (${firstLine((error as Error).message)})`,
        hint: `use at most ${MAX_ALIAS_COUNT} alias expansions; deeply nested aliases are refused as a resource-exhaustion attack`,
      }],
    };
  }
  // An alias inside the node it names (`a: &x {b: *x}`) makes a value that contains itself: every
  // walk of it (key checks, schemas, JSON) would recurse forever.
  const cycle = cyclePath(value);
  if (cycle) {
    return {
      source,
      diagnostics: [{
        code: 'alias-limit', severity: 'error', file, ...locate(source, cycle), path: cycle,
        message: 'alias refers to a node that contains it (a recursive structure)',
        hint: 'an alias may only name a node it is not part of; write the value out instead',
      }],
    };
  }
  for (const path of forbiddenKeyPaths(value)) {
    diagnostics.push({
      code: 'forbidden-key', severity: 'error', file,
      ...locate(source, path, { key: true }),
      path,
      message: `key "${String(path[path.length - 1])}" is not allowed`,
      hint: 'keys that name JavaScript prototypes are refused to prevent prototype pollution; rename it',
    });
  }
  return diagnostics.length > 0 ? { source, diagnostics } : { source, value, diagnostics };
}

/** Second and later occurrences of a scalar key in one mapping (yaml's own uniqueKeys check, in linear time). */
function duplicateKeys(doc: Document): { offset: number; message: string; duplicate: true }[] {
  const found: { offset: number; message: string; duplicate: true }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) found.push({ offset: pair.key.range?.[0] ?? 0, message: 'Map keys must be unique', duplicate: true });
        seen.add(pair.key.value);
      }
    },
  });
  return found;
}

/** A YAML alias (`*name`); documents with aliases always take the guarded path with its alias limit. */
const ALIAS = /(?:^|[\s[{,])\*[^\s,\]}*]+/m;

/**
 * The value of a well-formed document without building a positioned tree: ~10× faster than
 * `parseDocument`, which dominates loading large repositories. Returns undefined for anything
 * unusual (syntax errors, duplicate keys, aliases, tags, forbidden keys, empty documents); the
 * caller then takes `parseYaml`, the authority for every diagnostic and position.
 */
export function parseYamlValue(text: string): unknown {
  if (ALIAS.test(text)) return undefined;
  try {
    // The YAML 1.2 core schema, as the `yaml` package uses: no timestamps, no merge keys.
    const value = load(text, { schema: CORE_SCHEMA });
    if (value === null || value === undefined || forbiddenKeyPaths(value).length > 0) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** Path at which a value reaches one of its own ancestors again, if it does. */
function cyclePath(value: unknown, ancestors = new Set<object>(), path: (string | number)[] = []): (string | number)[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (ancestors.has(value)) return path;
  ancestors.add(value);
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const found = cyclePath(child, ancestors, [...path, key]);
    if (found) return found;
  }
  ancestors.delete(value);
  return undefined;
}

/** Paths of keys such as `__proto__` anywhere in a parsed value (walking the value is cheaper than the YAML tree). */
function forbiddenKeyPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) value.forEach((item, i) => forbiddenKeyPaths(item, [...path, i], out));
  else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) out.push([...path, key]);
      else forbiddenKeyPaths((value as Record<string, unknown>)[key], [...path, key], out);
    }
  }
  return out;
}

const firstLine = (message: string) => message.split('\n')[0]!.trim();
const pos = (p: { line: number; col: number }) => ({ line: p.line, col: p.col });

export interface Location {
  line: number;
  col: number;
}

/**
 * Line:col of the value at `path`, or of the deepest ancestor that exists.
 * With `key: true`, the position of the last segment's key (for unknown-key errors).
 */
export function locate(source: SourceFile | undefined, path: readonly (string | number)[], options: { key?: boolean } = {}): Location {
  if (!source?.doc) return { line: 1, col: 1 };
  let node: unknown = source.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) break;
      const keyOffset = (pair.key as Node).range?.[0];
      if (last && options.key && keyOffset !== undefined) {
        offset = keyOffset;
        break;
      }
      node = pair.value;
      offset = (node as Node | null)?.range?.[0] ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!node) break;
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return source.lines.linePos(offset);
}

const pairIndex = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
/**
 * The pair of `key` in a mapping. A file with thousands of diagnostics in one mapping locates each of
 * them; scanning the items every time made that quadratic, so large mappings get an index (first pair wins, as before).
 */
function pairOf(map: { items: { key: unknown; value: unknown }[] }, key: string): { key: unknown; value: unknown } | undefined {
  if (map.items.length < 64) return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
    pairIndex.set(map, index);
  }
  return index.get(key);
}

/** The YAML node at `path`, used to map positions inside a template scalar. */
export function nodeAt(source: SourceFile | undefined, path: readonly (string | number)[]): Node | undefined {
  const node = source?.doc?.getIn(path, true);
  return node && typeof node === 'object' ? (node as Node) : undefined;
}
