import { Type, type Static } from '@sinclair/typebox';
import { EnvVarName, IsoDate, KeyedRecord, MODEL_REF_PATTERN, ModelRef, SLUG_PATTERN, StrictObject, StringEnum } from './_common.js';

const Usd = (description: string) => Type.Number({ minimum: 0, description });

export const PricePeriod = StrictObject(
  {
    effective_from: IsoDate('First day (UTC) these prices apply; a call uses the latest period starting on or before its date.'),
    input_per_mtok: Usd('USD per million input tokens (uncached).'),
    output_per_mtok: Usd('USD per million output tokens (including reasoning tokens unless `reasoning_per_mtok` is set).'),
    cached_input_per_mtok: Type.Optional(Usd('USD per million cached input tokens (a subset of input tokens); defaults to the input price.')),
    cache_write_per_mtok: Type.Optional(Usd('USD per million tokens written to the prompt cache; defaults to the input price.')),
    reasoning_per_mtok: Type.Optional(Usd('USD per million reasoning tokens (a subset of output tokens) when priced differently.')),
  },
  'Prices of a model from a date on.',
);

export const CAPABILITIES = ['chat', 'vision', 'json_mode', 'structured_output', 'tools', 'reasoning', 'prompt_caching', 'embeddings', 'audio'] as const;

export const CatalogModel = StrictObject(
  {
    display_name: Type.Optional(Type.String({ description: 'Human-readable name.' })),
    context_window: Type.Integer({ minimum: 1, description: 'Maximum input + output tokens.' }),
    max_output_tokens: Type.Integer({ minimum: 1, description: 'Maximum output tokens per call.' }),
    capabilities: Type.Array(StringEnum(CAPABILITIES, 'A capability.'), { uniqueItems: true, description: 'What the model supports.' }),
    status: StringEnum(['available', 'beta', 'deprecated', 'offline'], 'Deprecated models warn until `sunset`, then fail validation for active features; offline models always fail.'),
    sunset: Type.Optional(IsoDate('Date the provider retires the model.')),
    replacement: Type.Optional(ModelRef('Suggested successor model.')),
    tokenizer: Type.Optional(StringEnum(['o200k_base', 'cl100k_base'], 'tiktoken encoding used to estimate tokens; models of other vendors are estimated with o200k_base.')),
    pricing: Type.Array(PricePeriod, { minItems: 1, description: 'Price periods, looked up by the date of each call.' }),
  },
  'A model and its prices.',
);

export const CatalogProvider = StrictObject(
  {
    type: StringEnum(['openai', 'anthropic', 'google', 'azure', 'custom'], 'API family of the provider.'),
    display_name: Type.Optional(Type.String({ description: 'Human-readable name.' })),
    base_url: Type.Optional(Type.String({ format: 'uri', description: 'OpenAI-compatible base URL (e.g. http://localhost:11434/v1 for Ollama).' })),
    api_key_env: Type.Optional(EnvVarName('Name of the environment variable holding the API key. Never the key itself.')),
  },
  'A model provider.',
);

export const CatalogFile = StrictObject(
  {
    providers: Type.Optional(KeyedRecord(SLUG_PATTERN, CatalogProvider, 'Providers, by id; extend or override the built-in ones.')),
    models: Type.Optional(KeyedRecord(MODEL_REF_PATTERN, CatalogModel, 'Models by `provider/model`; an entry replaces the built-in one with the same id.')),
  },
  'Model catalog (features/_models.yaml): extends the built-in catalog of providers, models and prices.',
);

export type CatalogFile = Static<typeof CatalogFile>;
export type CatalogModel = Static<typeof CatalogModel>;
export type CatalogProvider = Static<typeof CatalogProvider>;
export type PricePeriod = Static<typeof PricePeriod>;
