import { createRequire } from 'node:module';
import type { Tiktoken, TiktokenEncoding } from 'tiktoken';
import type { Model } from './catalog/catalog.js';

export type Encoding = 'o200k_base' | 'cl100k_base';

const require = createRequire(import.meta.url);
const encoders = new Map<Encoding, Tiktoken>();

/** One encoder per encoding for the life of the process (loading one costs ~0.3 s). */
export function encoder(encoding: Encoding): Tiktoken {
  let enc = encoders.get(encoding);
  if (!enc) {
    // tiktoken is WASM loaded relative to its own files, so it stays an external CommonJS module.
    const { get_encoding } = require('tiktoken') as { get_encoding: (e: TiktokenEncoding) => Tiktoken };
    enc = get_encoding(encoding);
    encoders.set(encoding, enc);
  }
  return enc;
}

/** Tokenizer of a model: the catalog's, else o200k_base as an estimate for other vendors. */
export function encodingFor(model: Pick<Model, 'tokenizer' | 'provider'> | undefined): { encoding: Encoding; estimate: boolean } {
  if (model?.tokenizer) return { encoding: model.tokenizer, estimate: false };
  return { encoding: 'o200k_base', estimate: true };
}

/** OpenAI's chat accounting: every message costs 3 tokens of framing (+1 with a name) and the reply is primed with 3. */
export const CHAT_TOKENS_PER_MESSAGE = 3;
export const CHAT_REPLY_PRIMING = 3;

// Evals render the same system prompt for every test of a prompt; counting it once per text saves most tokenizer work.
const counted = new Map<string, number>();
const COUNT_CACHE_MAX = 4096;

/** Tokens of a text, memoised for repeated texts. */
export function countTokens(encoding: Encoding, text: string): number {
  const key = `${encoding}\u0000${text}`;
  let n = counted.get(key);
  if (n === undefined) {
    n = encoder(encoding).encode_ordinary(text).length;
    if (counted.size >= COUNT_CACHE_MAX) counted.delete(counted.keys().next().value!);
    counted.set(key, n);
  }
  return n;
}

export function countChatTokens(messages: { role: string; content: string; name?: string }[], model?: Pick<Model, 'tokenizer' | 'provider'>): { perMessage: number[]; total: number; encoding: Encoding; estimate: boolean } {
  const { encoding, estimate } = encodingFor(model);
  const perMessage = messages.map((m) => countTokens(encoding, m.content));
  const framing = messages.reduce((sum, m) => sum + CHAT_TOKENS_PER_MESSAGE + (m.name ? 1 + countTokens(encoding, m.name) : 0) + countTokens(encoding, m.role), 0);
  return { perMessage, total: perMessage.reduce((a, b) => a + b, 0) + framing + CHAT_REPLY_PRIMING, encoding, estimate };
}
