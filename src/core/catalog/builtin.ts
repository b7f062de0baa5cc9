/**
 * Built-in model catalog: providers, models and list prices (USD per million tokens, Standard tier,
 * no Batch/Flex/Fast/priority/regional modifiers). `features/_models.yaml` extends or overrides it.
 *
 * Sources (stored copies of these pages, read 2026-11-21; the newest snapshots date from 2026-11-18):
 *
 * OpenAI
 *   - https://developers.openai.com/api/docs/pricing (pricing page; summary of 2026-11-05 by
 *     https://raw.githubusercontent.com/api-evangelist/posts/main/_posts/2026-11-06-openai-api-pricing-what-every-model-costs-per-million-tokens.md)
 *   - https://developers.openai.com/api/docs/models/gpt-6.2-sol (input/cached/cache-write/output, limits)
 *   - https://developers.openai.com/api/docs/models/gpt-6-luna, .../gpt-6-sol, .../gpt-5.6-luna,
 *     .../text-embedding-3-large (cache writes = 1.25x input, cached = 10% of input, 272K tier)
 *   - https://developers.openai.com/api/docs/deprecations (gpt-5 family + o3 shut down 2026-12-11;
 *     gpt-4o/-mini, gpt-4.1/-mini 2027-01-14; o4-mini, gpt-4.1-nano 2026-10-23)
 *   - https://docs.litellm.ai/blog/gpt-6-1-terra, https://github.com/BerriAI/litellm/discussions/52347
 *     (GPT-6.2 Astra), https://github.com/BerriAI/litellm/discussions/39633 (GPT-6 Astra),
 *     https://docs.laozhang.ai/en/announcements/gpt-5-6-pricing-2026-07 (GPT-5.6 Terra/Luna cut of 2026-07-30)
 * Anthropic
 *   - https://platform.claude.com/docs/en/about-claude/pricing (base input, 5m cache write, cache hit, output)
 *   - https://platform.claude.com/docs/en/models/{fable-5-1,opus-5-5,sonnet-5-5,haiku-5-5,opus-5,sonnet-5,
 *     opus-4-5,sonnet-4-5,haiku-4-5}/overview (release dates, limits, lifecycle; Sonnet 4.5 retires 2026-11-30)
 *   - https://platform.claude.com/docs/en/about-claude/model-deprecations
 *   - https://github.com/kurofune/claudit/releases/tag/v1.9.2 and
 *     https://github.com/TheKrush/PromptFuel/releases/tag/v1.0.23 (Sonnet 5.5 cache-read cut of 2026-10-07)
 *   - https://docs.claude.com/en/api/openai-sdk (OpenAI-compatible endpoint ignores `response_format`)
 * Google
 *   - https://ai.google.dev/gemini-api/docs/pricing (transcribed 2026-09-20 and 2026-10-07 by
 *     https://github.com/api-evangelist/gemini/blob/main/plans/gemini-plans-pricing.yml and
 *     https://github.com/api-evangelist/deepmind/blob/main/plans/deepmind-plans-pricing.yml)
 *   - https://ai.google.dev/gemini-api/docs/deprecations (2.5 Pro/Flash shut down 2026-12-01; 2.5 Flash-Lite stays)
 *   - https://firebase.google.com/docs/ai-logic (Gemini 2.0 Flash shut down 2026-06-01)
 *   - https://github.com/BerriAI/litellm/discussions/39357 (Gemini 3.8 Flash cache reads),
 *     https://github.com/BerriAI/litellm/discussions/46238 (Gemini 4 Argon),
 *     https://docs.laozhang.ai/en/announcements/gemini-4-carbon-2026-11 (Gemini 4 Carbon, GA 2026-11-10)
 *
 * Tiers: where a vendor bills long prompts at a higher rate for the whole request, the catalog holds the
 * short-prompt tier only: Gemini 2.5 Pro (<= 200K input tokens), OpenAI GPT-5.6/GPT-6.x (<= 272K input
 * tokens; above it input/cache x2, output x1.5), Claude Haiku 5.5 (prompts <= 100K tokens; above it 5x).
 * Anthropic cache writes are the 5-minute TTL rate (1.25x input); OpenAI GPT-5.6+ cache writes are the
 * 30-minute retention rate (1.25x input). Google explicit-cache storage (per hour) is not modelled.
 *
 * Unconfirmed (best knowledge, not found verbatim in an official source):
 *   - Legacy OpenAI history: gpt-4o $5/$15 until the alias moved to gpt-4o-2024-08-06 on 2024-10-02;
 *     prompt-caching prices from 2024-10-01; o3 $10/$40 until the 80% cut of 2025-06-10.
 *   - Replacements of gpt-5-nano and o3 (the deprecations page names gpt-6.1-sol/gpt-6.1-terra for gpt-5 and
 *     gpt-5-mini; its gpt-5-nano row was cut off). gpt-6.2-astra cache write (assumed 1.25x input);
 *     gpt-6.1-sol / gpt-6-astra cache writes are from third-party trackers.
 *   - Exact API release dates of Claude Sonnet 5.5 (2026-09-29) and Gemini 4 Argon (2026-10-13).
 *   - Claude 3.5 Haiku launched at $1/$5 and was later cut to $0.80/$4 (date not found; only $0.80/$4 modelled).
 *   - Gemini: cache-read price of 3.5 Flash-Lite (10% of input assumed) and of 4 Carbon (same as Argon
 *     assumed); the 2.5 context-caching prices were higher in 2025 ($0.31 / $0.075 / $0.025) before the
 *     current $0.125 / $0.03 / $0.01 — change date not found, current prices used for the whole period.
 */
import type { CatalogFile, CatalogModel } from '../schemas/catalog.js';

/** Last date these prices were checked against the vendors' pricing pages. */
export const BUILTIN_PRICES_CHECKED = '2026-11-21';

type Capability = CatalogModel['capabilities'][number];
const caps = (...capabilities: Capability[]): Capability[] => capabilities;

/** OpenAI chat models without reasoning (GPT-4o, GPT-4.1). */
const OPENAI_CHAT = (): Capability[] => caps('chat', 'vision', 'json_mode', 'structured_output', 'tools', 'prompt_caching');
/** OpenAI reasoning models (o-series, GPT-5 and later). */
const OPENAI_REASONING = (): Capability[] => caps('chat', 'vision', 'json_mode', 'structured_output', 'tools', 'reasoning', 'prompt_caching');
/**
 * Claude models through the OpenAI-compatible endpoint: `response_format` is ignored there, so neither
 * json_mode nor structured_output is claimed; prompt caching needs the native Messages API.
 */
const CLAUDE = (): Capability[] => caps('chat', 'vision', 'tools', 'reasoning', 'prompt_caching');
/** Gemini models (audio input supported by 2.x/3.x). */
const GEMINI = (): Capability[] => caps('chat', 'vision', 'audio', 'json_mode', 'structured_output', 'tools', 'reasoning', 'prompt_caching');

export const BUILTIN_CATALOG: CatalogFile = {
  providers: {
    openai: {
      type: 'openai',
      display_name: 'OpenAI',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
    },
    anthropic: {
      type: 'anthropic',
      display_name: 'Anthropic',
      // OpenAI-compatible endpoint of the Claude API.
      base_url: 'https://api.anthropic.com/v1/',
      api_key_env: 'ANTHROPIC_API_KEY',
    },
    google: {
      type: 'google',
      display_name: 'Google Gemini API',
      base_url: 'https://generativelanguage.googleapis.com/v1beta/openai/',
      api_key_env: 'GEMINI_API_KEY',
    },
  },

  models: {
    // ───────────────────────────── OpenAI ─────────────────────────────
    // Current GPT-6.x / GPT-5.6 models: short-context tier (<= 272K input tokens), 30-minute cache writes.
    'openai/gpt-6.2-astra': {
      display_name: 'GPT-6.2 Astra',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-11-17', input_per_mtok: 8, cached_input_per_mtok: 0.4, cache_write_per_mtok: 10, output_per_mtok: 40 }],
    },
    'openai/gpt-6.2-sol': {
      display_name: 'GPT-6.2 Sol',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-11-17', input_per_mtok: 2, cached_input_per_mtok: 0.1, cache_write_per_mtok: 2.5, output_per_mtok: 10 }],
    },
    'openai/gpt-6.1-sol': {
      display_name: 'GPT-6.1 Sol',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-09-29', input_per_mtok: 2, cached_input_per_mtok: 0.1, cache_write_per_mtok: 2.5, output_per_mtok: 10 }],
    },
    'openai/gpt-6.1-terra': {
      display_name: 'GPT-6.1 Terra',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-10-26', input_per_mtok: 1, cached_input_per_mtok: 0.05, cache_write_per_mtok: 1.25, output_per_mtok: 5 }],
    },
    'openai/gpt-6-astra': {
      display_name: 'GPT-6 Astra',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-09-03', input_per_mtok: 10, cached_input_per_mtok: 1, cache_write_per_mtok: 12.5, output_per_mtok: 50 }],
    },
    'openai/gpt-6-luna': {
      display_name: 'GPT-6 Luna',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [{ effective_from: '2026-09-22', input_per_mtok: 0.1, cached_input_per_mtok: 0.01, cache_write_per_mtok: 0.125, output_per_mtok: 0.5 }],
    },
    'openai/gpt-5.6-terra': {
      display_name: 'GPT-5.6 Terra',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [
        { effective_from: '2026-07-09', input_per_mtok: 2.5, cached_input_per_mtok: 0.25, cache_write_per_mtok: 3.125, output_per_mtok: 15 },
        // 20% price cut.
        { effective_from: '2026-07-30', input_per_mtok: 2, cached_input_per_mtok: 0.2, cache_write_per_mtok: 2.5, output_per_mtok: 12 },
      ],
    },
    'openai/gpt-5.6-luna': {
      display_name: 'GPT-5.6 Luna',
      context_window: 1_050_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'available',
      pricing: [
        { effective_from: '2026-07-09', input_per_mtok: 1, cached_input_per_mtok: 0.1, cache_write_per_mtok: 1.25, output_per_mtok: 6 },
        // 80% price cut.
        { effective_from: '2026-07-30', input_per_mtok: 0.2, cached_input_per_mtok: 0.02, cache_write_per_mtok: 0.25, output_per_mtok: 1.2 },
      ],
    },

    // GPT-5 family and o3: deprecated 2026-06-11, shut down 2026-12-11.
    'openai/gpt-5': {
      display_name: 'GPT-5',
      context_window: 400_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'deprecated',
      sunset: '2026-12-11',
      replacement: 'openai/gpt-6.1-sol',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-08-07', input_per_mtok: 1.25, cached_input_per_mtok: 0.125, output_per_mtok: 10 }],
    },
    'openai/gpt-5-mini': {
      display_name: 'GPT-5 mini',
      context_window: 400_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'deprecated',
      sunset: '2026-12-11',
      replacement: 'openai/gpt-6.1-terra',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-08-07', input_per_mtok: 0.25, cached_input_per_mtok: 0.025, output_per_mtok: 2 }],
    },
    'openai/gpt-5-nano': {
      display_name: 'GPT-5 nano',
      context_window: 400_000,
      max_output_tokens: 128_000,
      capabilities: OPENAI_REASONING(),
      status: 'deprecated',
      sunset: '2026-12-11',
      replacement: 'openai/gpt-6-luna',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-08-07', input_per_mtok: 0.05, cached_input_per_mtok: 0.005, output_per_mtok: 0.4 }],
    },
    'openai/o3': {
      display_name: 'o3',
      context_window: 200_000,
      max_output_tokens: 100_000,
      capabilities: OPENAI_REASONING(),
      status: 'deprecated',
      sunset: '2026-12-11',
      replacement: 'openai/gpt-6.1-sol',
      tokenizer: 'o200k_base',
      pricing: [
        { effective_from: '2025-04-16', input_per_mtok: 10, cached_input_per_mtok: 2.5, output_per_mtok: 40 },
        // 80% price cut.
        { effective_from: '2025-06-10', input_per_mtok: 2, cached_input_per_mtok: 0.5, output_per_mtok: 8 },
      ],
    },
    // Shut down 2026-10-23.
    'openai/o4-mini': {
      display_name: 'o4-mini',
      context_window: 200_000,
      max_output_tokens: 100_000,
      capabilities: OPENAI_REASONING(),
      status: 'deprecated',
      sunset: '2026-10-23',
      replacement: 'openai/gpt-5.6-terra',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-04-16', input_per_mtok: 1.1, cached_input_per_mtok: 0.275, output_per_mtok: 4.4 }],
    },

    // GPT-4.1 family: gpt-4.1 and gpt-4.1-mini shut down 2027-01-14 (announced 2026-10-14); gpt-4.1-nano 2026-10-23.
    'openai/gpt-4.1': {
      display_name: 'GPT-4.1',
      context_window: 1_047_576,
      max_output_tokens: 32_768,
      capabilities: OPENAI_CHAT(),
      status: 'deprecated',
      sunset: '2027-01-14',
      replacement: 'openai/gpt-6-luna',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-04-14', input_per_mtok: 2, cached_input_per_mtok: 0.5, output_per_mtok: 8 }],
    },
    'openai/gpt-4.1-mini': {
      display_name: 'GPT-4.1 mini',
      context_window: 1_047_576,
      max_output_tokens: 32_768,
      capabilities: OPENAI_CHAT(),
      status: 'deprecated',
      sunset: '2027-01-14',
      replacement: 'openai/gpt-6-luna',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-04-14', input_per_mtok: 0.4, cached_input_per_mtok: 0.1, output_per_mtok: 1.6 }],
    },
    'openai/gpt-4.1-nano': {
      display_name: 'GPT-4.1 nano',
      context_window: 1_047_576,
      max_output_tokens: 32_768,
      capabilities: OPENAI_CHAT(),
      status: 'deprecated',
      sunset: '2026-10-23',
      replacement: 'openai/gpt-5.6-luna',
      tokenizer: 'o200k_base',
      pricing: [{ effective_from: '2025-04-14', input_per_mtok: 0.1, cached_input_per_mtok: 0.025, output_per_mtok: 0.4 }],
    },

    // GPT-4o family: shut down 2027-01-14 (announced 2026-10-14).
    'openai/gpt-4o': {
      display_name: 'GPT-4o',
      context_window: 128_000,
      max_output_tokens: 16_384,
      capabilities: OPENAI_CHAT(),
      status: 'deprecated',
      sunset: '2027-01-14',
      replacement: 'openai/gpt-6-luna',
      tokenizer: 'o200k_base',
      pricing: [
        // gpt-4o-2024-05-13 behind the alias; no prompt caching yet.
        { effective_from: '2024-05-13', input_per_mtok: 5, output_per_mtok: 15 },
        // Alias moved to gpt-4o-2024-08-06 (price cut); prompt caching at 50% of input.
        { effective_from: '2024-10-02', input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10 },
      ],
    },
    'openai/gpt-4o-mini': {
      display_name: 'GPT-4o mini',
      context_window: 128_000,
      max_output_tokens: 16_384,
      capabilities: OPENAI_CHAT(),
      status: 'deprecated',
      sunset: '2027-01-14',
      replacement: 'openai/gpt-6-luna',
      tokenizer: 'o200k_base',
      pricing: [
        { effective_from: '2024-07-18', input_per_mtok: 0.15, output_per_mtok: 0.6 },
        // Prompt caching launched (50% of input).
        { effective_from: '2024-10-01', input_per_mtok: 0.15, cached_input_per_mtok: 0.075, output_per_mtok: 0.6 },
      ],
    },

    // Embeddings: billed on input only; the schema needs max_output_tokens >= 1, so 1 stands for "no text output".
    'openai/text-embedding-3-small': {
      display_name: 'text-embedding-3-small',
      context_window: 8_192,
      max_output_tokens: 1,
      capabilities: caps('embeddings'),
      status: 'available',
      tokenizer: 'cl100k_base',
      pricing: [{ effective_from: '2024-01-25', input_per_mtok: 0.02, output_per_mtok: 0 }],
    },
    'openai/text-embedding-3-large': {
      display_name: 'text-embedding-3-large',
      context_window: 8_192,
      max_output_tokens: 1,
      capabilities: caps('embeddings'),
      status: 'available',
      tokenizer: 'cl100k_base',
      pricing: [{ effective_from: '2024-01-25', input_per_mtok: 0.13, output_per_mtok: 0 }],
    },

    // ──────────────────────────── Anthropic ───────────────────────────
    // cache_write = 5-minute cache write (1.25x input); cached_input = cache hits and refreshes.
    'anthropic/claude-fable-5-1': {
      display_name: 'Claude Fable 5.1',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      // Cache hits at 0.025x input.
      pricing: [{ effective_from: '2026-09-01', input_per_mtok: 10, cached_input_per_mtok: 0.25, cache_write_per_mtok: 12.5, output_per_mtok: 50 }],
    },
    'anthropic/claude-opus-5-5': {
      display_name: 'Claude Opus 5.5',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      // Cache hits at 0.05x input.
      pricing: [{ effective_from: '2026-09-22', input_per_mtok: 4, cached_input_per_mtok: 0.2, cache_write_per_mtok: 5, output_per_mtok: 20 }],
    },
    'anthropic/claude-sonnet-5-5': {
      display_name: 'Claude Sonnet 5.5',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      pricing: [
        { effective_from: '2026-09-29', input_per_mtok: 2, cached_input_per_mtok: 0.2, cache_write_per_mtok: 2.5, output_per_mtok: 10 },
        // Cache hits cut from 0.1x to 0.05x input.
        { effective_from: '2026-10-07', input_per_mtok: 2, cached_input_per_mtok: 0.1, cache_write_per_mtok: 2.5, output_per_mtok: 10 },
      ],
    },
    'anthropic/claude-haiku-5-5': {
      display_name: 'Claude Haiku 5.5',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      // Prompts <= 100K tokens; longer prompts pay 5x on every token of the request ($0.50 / $2.50).
      pricing: [{ effective_from: '2026-10-07', input_per_mtok: 0.1, cached_input_per_mtok: 0.01, cache_write_per_mtok: 0.125, output_per_mtok: 0.5 }],
    },
    'anthropic/claude-opus-5': {
      display_name: 'Claude Opus 5',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      pricing: [{ effective_from: '2026-07-24', input_per_mtok: 5, cached_input_per_mtok: 0.5, cache_write_per_mtok: 6.25, output_per_mtok: 25 }],
    },
    'anthropic/claude-sonnet-5': {
      display_name: 'Claude Sonnet 5',
      context_window: 1_000_000,
      max_output_tokens: 128_000,
      capabilities: CLAUDE(),
      status: 'available',
      // Launched as "introductory" pricing; made permanent on 2026-08-10 (the planned $3/$15 never applied).
      pricing: [{ effective_from: '2026-06-30', input_per_mtok: 2, cached_input_per_mtok: 0.2, cache_write_per_mtok: 2.5, output_per_mtok: 10 }],
    },
    'anthropic/claude-opus-4-5': {
      display_name: 'Claude Opus 4.5',
      context_window: 200_000,
      max_output_tokens: 64_000,
      capabilities: CLAUDE(),
      status: 'available',
      pricing: [{ effective_from: '2025-11-24', input_per_mtok: 5, cached_input_per_mtok: 0.5, cache_write_per_mtok: 6.25, output_per_mtok: 25 }],
    },
    'anthropic/claude-sonnet-4-5': {
      display_name: 'Claude Sonnet 4.5',
      context_window: 200_000,
      max_output_tokens: 64_000,
      capabilities: CLAUDE(),
      status: 'deprecated',
      sunset: '2026-11-30',
      replacement: 'anthropic/claude-sonnet-5-5',
      pricing: [{ effective_from: '2025-09-29', input_per_mtok: 3, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75, output_per_mtok: 15 }],
    },
    'anthropic/claude-haiku-4-5': {
      display_name: 'Claude Haiku 4.5',
      context_window: 200_000,
      max_output_tokens: 64_000,
      capabilities: CLAUDE(),
      status: 'available',
      pricing: [{ effective_from: '2025-10-15', input_per_mtok: 1, cached_input_per_mtok: 0.1, cache_write_per_mtok: 1.25, output_per_mtok: 5 }],
    },
    // Retired on the Claude API 2026-06-15 (API alias claude-sonnet-4-0).
    'anthropic/claude-sonnet-4-0': {
      display_name: 'Claude Sonnet 4',
      context_window: 200_000,
      max_output_tokens: 64_000,
      capabilities: CLAUDE(),
      status: 'deprecated',
      sunset: '2026-06-15',
      replacement: 'anthropic/claude-sonnet-5-5',
      pricing: [{ effective_from: '2025-05-22', input_per_mtok: 3, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75, output_per_mtok: 15 }],
    },
    // Retired on the Claude API 2026-08-05 (still on Bedrock and Google Cloud).
    'anthropic/claude-opus-4-1': {
      display_name: 'Claude Opus 4.1',
      context_window: 200_000,
      max_output_tokens: 32_000,
      capabilities: CLAUDE(),
      status: 'deprecated',
      sunset: '2026-08-05',
      replacement: 'anthropic/claude-opus-5-5',
      pricing: [{ effective_from: '2025-08-05', input_per_mtok: 15, cached_input_per_mtok: 1.5, cache_write_per_mtok: 18.75, output_per_mtok: 75 }],
    },
    // Retired 2026-02-19 (API alias claude-3-5-haiku-latest; snapshot claude-3-5-haiku-20241022).
    'anthropic/claude-3-5-haiku-latest': {
      display_name: 'Claude Haiku 3.5',
      context_window: 200_000,
      max_output_tokens: 8_192,
      capabilities: caps('chat', 'vision', 'tools', 'prompt_caching'),
      status: 'deprecated',
      sunset: '2026-02-19',
      replacement: 'anthropic/claude-haiku-4-5',
      pricing: [{ effective_from: '2024-11-04', input_per_mtok: 0.8, cached_input_per_mtok: 0.08, cache_write_per_mtok: 1, output_per_mtok: 4 }],
    },

    // ───────────────────────────── Google ─────────────────────────────
    // cached_input = context-caching (cache read) price; storage per hour is not modelled.
    'google/gemini-4-carbon': {
      display_name: 'Gemini 4 Carbon',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: caps('chat', 'vision', 'json_mode', 'structured_output', 'tools', 'reasoning', 'prompt_caching'),
      status: 'available',
      pricing: [
        // Introductory price through 2026-11-30.
        { effective_from: '2026-11-10', input_per_mtok: 2, cached_input_per_mtok: 0.1, output_per_mtok: 10 },
        { effective_from: '2026-12-01', input_per_mtok: 4, cached_input_per_mtok: 0.2, output_per_mtok: 20 },
      ],
    },
    'google/gemini-4-argon': {
      display_name: 'Gemini 4 Argon',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: caps('chat', 'vision', 'json_mode', 'structured_output', 'tools', 'reasoning', 'prompt_caching'),
      status: 'available',
      pricing: [
        // Launch price through 2026-11-30.
        { effective_from: '2026-10-13', input_per_mtok: 2, cached_input_per_mtok: 0.1, output_per_mtok: 10 },
        { effective_from: '2026-12-01', input_per_mtok: 4, cached_input_per_mtok: 0.2, output_per_mtok: 20 },
      ],
    },
    'google/gemini-3.8-flash': {
      display_name: 'Gemini 3.8 Flash',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'available',
      pricing: [
        // Half price through 2026-12-31.
        { effective_from: '2026-09-02', input_per_mtok: 0.75, cached_input_per_mtok: 0.075, output_per_mtok: 3.75 },
        { effective_from: '2027-01-01', input_per_mtok: 1.5, cached_input_per_mtok: 0.15, output_per_mtok: 7.5 },
      ],
    },
    'google/gemini-3.5-flash': {
      display_name: 'Gemini 3.5 Flash',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'available',
      pricing: [{ effective_from: '2026-05-19', input_per_mtok: 1.5, cached_input_per_mtok: 0.15, output_per_mtok: 9 }],
    },
    'google/gemini-3.5-flash-lite': {
      display_name: 'Gemini 3.5 Flash-Lite',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'available',
      pricing: [{ effective_from: '2026-07-21', input_per_mtok: 0.3, cached_input_per_mtok: 0.03, output_per_mtok: 2.5 }],
    },
    'google/gemini-3.1-flash-lite': {
      display_name: 'Gemini 3.1 Flash-Lite',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'available',
      pricing: [{ effective_from: '2026-05-07', input_per_mtok: 0.25, cached_input_per_mtok: 0.025, output_per_mtok: 1.5 }],
    },
    'google/gemini-2.5-pro': {
      display_name: 'Gemini 2.5 Pro',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'deprecated',
      sunset: '2026-12-01',
      replacement: 'google/gemini-3.8-flash',
      // Prompts <= 200K tokens; above: $2.50 input, $0.25 cached, $15 output for the whole request.
      pricing: [{ effective_from: '2025-06-17', input_per_mtok: 1.25, cached_input_per_mtok: 0.125, output_per_mtok: 10 }],
    },
    'google/gemini-2.5-flash': {
      display_name: 'Gemini 2.5 Flash',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'deprecated',
      sunset: '2026-12-01',
      replacement: 'google/gemini-3.5-flash-lite',
      // Text/image/video input; audio input is $1.00.
      pricing: [{ effective_from: '2025-06-17', input_per_mtok: 0.3, cached_input_per_mtok: 0.03, output_per_mtok: 2.5 }],
    },
    'google/gemini-2.5-flash-lite': {
      display_name: 'Gemini 2.5 Flash-Lite',
      context_window: 1_048_576,
      max_output_tokens: 65_536,
      capabilities: GEMINI(),
      status: 'available',
      pricing: [{ effective_from: '2025-07-22', input_per_mtok: 0.1, cached_input_per_mtok: 0.01, output_per_mtok: 0.4 }],
    },
    // Shut down 2026-06-01.
    'google/gemini-2.0-flash': {
      display_name: 'Gemini 2.0 Flash',
      context_window: 1_048_576,
      max_output_tokens: 8_192,
      capabilities: caps('chat', 'vision', 'audio', 'json_mode', 'structured_output', 'tools', 'prompt_caching'),
      status: 'deprecated',
      sunset: '2026-06-01',
      replacement: 'google/gemini-3.1-flash-lite',
      pricing: [{ effective_from: '2025-02-05', input_per_mtok: 0.1, cached_input_per_mtok: 0.025, output_per_mtok: 0.4 }],
    },
  },
};
