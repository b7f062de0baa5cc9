import type { ChatRequest, ChatResponse, EmbeddingResponse, Provider } from '../types.js';

export const OFFLINE_DIMENSIONS = 256;

/**
 * The provider for repositories without keys: no network, same answer for the same request.
 * Chat echoes the last message (like promptfoo's `echo` provider) unless structured output is
 * requested, in which case it answers with the smallest instance of the schema, so plumbing,
 * prompt assertions, costs and JSON handling can be exercised. Embeddings are hashed bags of
 * words: lexical, not semantic, but deterministic. It cannot grade `llm-rubric`.
 */
export function createOfflineProvider(): Provider {
  return {
    name: 'offline',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const rf = request.params.response_format;
      let text: string;
      if (rf?.type === 'json_schema' && rf.schema) text = JSON.stringify(minimalInstance(rf.schema));
      else if (rf?.type === 'json_object') text = '{}';
      else text = request.messages.at(-1)?.content ?? '';
      return { text, latencyMs: 0, finishReason: 'stop', source: 'offline' };
    },
    async embed(_model: string, input: string[]): Promise<EmbeddingResponse> {
      return { vectors: input.map(hashedBagOfWords), latencyMs: 0, source: 'offline' };
    },
  };
}

function hashedBagOfWords(text: string): number[] {
  const vector = new Array<number>(OFFLINE_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
    vector[h % OFFLINE_DIMENSIONS]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

type Schema = Record<string, unknown>;

/** The smallest value valid against common JSON Schema shapes (const, enum, type, required properties, minItems). */
export function minimalInstance(schema: Schema, depth = 0): unknown {
  if (depth > 16) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const first = (schema[key] as Schema[] | undefined)?.[0];
    if (first) return minimalInstance(first, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.filter((k) => properties[k]).map((k) => [k, minimalInstance(properties[k]!, depth + 1)]));
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: count }, () => minimalInstance(items, depth + 1));
    }
    case 'string': {
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      return 'offline'.padEnd(min, '.');
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
