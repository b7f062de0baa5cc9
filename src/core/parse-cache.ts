import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256Hex } from './canonical.js';
import type { Diagnostic } from './diagnostics.js';
import { SCHEMAS, schemaDocument } from './schemas/index.js';

export interface CachedParse {
  value?: unknown;
  valid: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Parse results keyed by the sha256 of (kind, exact file text), stored in one JSON file like
 * ESLint's --cache. Any change to a file's bytes or to the schemas misses the cache.
 */
export interface ParseCache {
  get(kind: string, text: string): CachedParse | undefined;
  set(kind: string, text: string, parsed: CachedParse): void;
  /** Writes the entries used in this run (stale ones are dropped); errors are ignored: a cache is optional. */
  save(): void;
}

const FORMAT = 1;
let fingerprint: string | undefined;
/** Changes whenever a schema changes, so cached validation results never outlive their schema. */
const schemaFingerprint = () => (fingerprint ??= sha256Hex(JSON.stringify([FORMAT, ...Object.keys(SCHEMAS).map((k) => schemaDocument(k as keyof typeof SCHEMAS))])));

export function openParseCache(path: string): ParseCache {
  let previous: Record<string, CachedParse> = {};
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { fingerprint?: string; entries?: Record<string, CachedParse> };
    if (stored.fingerprint === schemaFingerprint() && stored.entries) previous = stored.entries;
  } catch {
    // Missing or unreadable cache: start empty.
  }
  const used: Record<string, CachedParse> = {};
  let dirty = false;
  const key = (kind: string, text: string) => sha256Hex(`${kind}\0${text}`);
  return {
    get(kind, text) {
      const k = key(kind, text);
      const hit = previous[k];
      if (hit) used[k] = hit;
      return hit;
    },
    set(kind, text, parsed) {
      used[key(kind, text)] = parsed;
      dirty = true;
    },
    save() {
      if (!dirty && Object.keys(used).length === Object.keys(previous).length) return;
      try {
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ fingerprint: schemaFingerprint(), entries: used }));
        renameSync(tmp, path);
      } catch {
        // A read-only checkout still validates; it just parses every file each time.
      }
    },
  };
}
