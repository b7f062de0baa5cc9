import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS; under some loaders its function sits on `.default`.
const mod = canonicalizeModule as unknown as ((value: unknown) => string | undefined) & { default?: (value: unknown) => string | undefined };
const canonicalize = mod.default ?? mod;

/** RFC 8785 (JCS) canonical JSON: sorted keys, normalised numbers, no whitespace. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as JSON');
  return text;
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
