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

export function countChatTokens(messages: { role: string; content: string; name?: string }[], model?: Pick<Model, 'tokenizer' | 'provider'>): { perMessage: number[]; total: number; encoding: Encoding; estimate: boolean } {
  const { encoding, estimate } = encodingFor(model);
  const enc = encoder(encoding);
  const perMessage = messages.map((m) => enc.encode_ordinary(m.content).length);
  const framing = messages.reduce((sum, m) => sum + CHAT_TOKENS_PER_MESSAGE + (m.name ? 1 + enc.encode_ordinary(m.name).length : 0) + enc.encode_ordinary(m.role).length, 0);
  return { perMessage, total: perMessage.reduce((a, b) => a + b, 0) + framing + CHAT_REPLY_PRIMING, encoding, estimate };
}
