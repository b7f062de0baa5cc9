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

/**
 * Longest run of non-space (or of space) characters encoded in one piece. tiktoken merges the bytes
 * of each pre-tokenised piece pairwise, in time quadratic in the piece's length: one 117 KB line with no
 * spaces took 22 s. Words, URLs and code lines of normal text are far shorter, so their counts are
 * exact; a longer run is counted in slices of this length, which may differ from the exact count by
 * about one token per slice (a merge across a cut is lost; typically one token in 1000+ characters).
 */
export const MAX_PIECE_CHARS = 256;
const LONG_RUN = new RegExp(`\\S{${MAX_PIECE_CHARS + 1},}|\\s{${MAX_PIECE_CHARS + 1},}`, 'g');

/** `text` cut inside runs longer than MAX_PIECE_CHARS, never elsewhere (and never inside a surrogate pair). */
export function tokenSlices(text: string): string[] {
  const slices: string[] = [];
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    const end = run.index + run[0].length;
    let at = run.index;
    while (end - at > MAX_PIECE_CHARS) {
      let cut = at + MAX_PIECE_CHARS;
      if (isLowSurrogate(text.charCodeAt(cut))) cut++;
      slices.push(text.slice(from, cut));
      from = at = cut;
    }
  }
  slices.push(text.slice(from));
  return slices;
}
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Tokens of a text, memoised for repeated texts; exact unless it has runs over MAX_PIECE_CHARS (see there). */
export function countTokens(encoding: Encoding, text: string): number {
  const key = `${encoding}\u0000${text}`;
  let n = counted.get(key);
  if (n === undefined) {
    const enc = encoder(encoding);
    n = 0;
    for (const slice of tokenSlices(text)) n += enc.encode_ordinary(slice).length;
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
