import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { canonicalJson, sha256Hex } from '../core/canonical.js';
import { redactKnown } from '../core/redact.js';
import type { ChatRequest, Usage } from './types.js';

export const CACHE_SCHEMA_VERSION = 1;

export interface CachedChat {
  text: string;
  usage?: Usage;
  latencyMs: number;
  finishReason?: string;
}

export interface CachedEmbedding {
  vectors: number[][];
  usage?: Usage;
  latencyMs: number;
}

export type CacheRequest = ({ kind: 'chat' } & ChatRequest) | { kind: 'embedding'; model: string; input: string[] };

/**
 * Key of a request: everything that can change the answer (kind, `provider/model`, every parameter,
 * every message) and nothing else, in RFC 8785 canonical form so key order and spacing never matter.
 */
export function cacheKey(request: CacheRequest): string {
  return sha256Hex(canonicalJson({ v: CACHE_SCHEMA_VERSION, ...request }));
}

/**
 * Responses on disk, one pretty-printed JSON file per request under `<dir>/<key[0:2]>/<key>.json`:
 * readable in review when recordings are committed, and written atomically (temp file + rename) so
 * concurrent runs never leave half a file. `secrets` (the API keys) are masked before anything is written.
 */
export function createResponseCache(dir: string, options: { secrets?: readonly string[] } = {}) {
  const pathOf = (key: string) => join(dir, key.slice(0, 2), `${key}.json`);
  return {
    dir,
    pathOf,
    async get<T extends CachedChat | CachedEmbedding>(key: string): Promise<T | undefined> {
      let text: string;
      try {
        // Entries are small local files: a synchronous read costs a fraction of the four thread-pool
        // round trips of fs/promises (open, fstat, read, close), which dominated replay time.
        text = readFileSync(pathOf(key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const entry = JSON.parse(text) as { schema_version?: number; response?: T };
        return entry.schema_version === CACHE_SCHEMA_VERSION ? entry.response : undefined;
      } catch {
        // A truncated or hand-edited entry is a miss, never a crash; the next live call rewrites it.
        return undefined;
      }
    },
    async set(key: string, request: CacheRequest, response: CachedChat | CachedEmbedding): Promise<void> {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      const entry = { schema_version: CACHE_SCHEMA_VERSION, key, recorded_at: new Date().toISOString(), request, response };
      // Recordings get committed: an API key a server echoed into an answer must not reach the file in any form.
      await writeFile(temp, `${redactKnown(JSON.stringify(entry, null, 2), options.secrets ?? [])}\n`);
      await rename(temp, path);
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
