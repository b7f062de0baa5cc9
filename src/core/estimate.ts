import { priceAt, costOf, todayUtc } from './catalog/catalog.js';
import type { Repository } from './repository.js';
import type { Rendered } from './render.js';
import { countChatTokens, type Encoding } from './tokens.js';

export interface CallEstimate {
  /** Tokens of each rendered message's content. */
  messageTokens: number[];
  /** Input tokens of the call including chat framing. */
  inputTokens: number;
  encoding: Encoding;
  /** The model's own tokenizer is not tiktoken's, so counts are estimates. */
  estimate: boolean;
  maxOutputTokens?: number;
  priceDate: string;
  /** Undefined when the model has no price on that date (or no model is assigned). */
  inputCostUsd?: number;
  /** Cost if the model writes `max_tokens` tokens: the worst case per call. */
  maxCostUsd?: number;
}

/** Tokens (tiktoken) and cost per call (catalog prices on `date`) of a rendered prompt. */
export function estimateCall(repo: Repository, rendered: Rendered, date = todayUtc()): CallEstimate {
  const model = rendered.model ? repo.catalog.models[rendered.model] : undefined;
  const counted = countChatTokens(rendered.messages, model);
  const price = model ? priceAt(model, date) : undefined;
  const maxOutputTokens = rendered.params.max_tokens ?? model?.max_output_tokens;
  return {
    messageTokens: counted.perMessage,
    inputTokens: counted.total,
    encoding: counted.encoding,
    estimate: counted.estimate,
    maxOutputTokens,
    priceDate: date,
    inputCostUsd: price ? costOf(price, { input: counted.total, output: 0 }) : undefined,
    maxCostUsd: price ? costOf(price, { input: counted.total, output: maxOutputTokens ?? 0 }) : undefined,
  };
}
