import { Type, type Static } from '@sinclair/typebox';
import { StrictObject, StringEnum } from './_common.js';

const Tokens = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));
const Str = (description: string) => Type.Optional(Type.String({ description }));

export const UsageRecord = StrictObject(
  {
    timestamp: Type.String({ format: 'date-time', description: 'Time of the call (RFC 3339, UTC recommended).' }),
    request_id: Type.String({ minLength: 1, description: 'Unique id of the call; duplicates count once.' }),
    feature: Type.String({ minLength: 1, description: 'Feature that made the call.' }),
    environment: Str('Environment (development, staging, production, …).'),
    prompt_id: Str('Prompt id.'),
    prompt_version: Type.Optional(Type.Integer({ minimum: 1, description: 'Prompt version rendered.' })),
    bundle_revision: Str('Revision of the bundle the service was running.'),
    experiment: Str('Experiment the unit was assigned in, if any.'),
    variant: Str('Variant assigned.'),
    provider: Type.String({ minLength: 1, description: 'Provider id (e.g. openai).' }),
    model: Type.String({ minLength: 1, description: 'Model id without provider (e.g. gpt-4o-mini) or `provider/model`.' }),
    input_tokens: Tokens('Input tokens, including cached ones.'),
    output_tokens: Tokens('Output tokens, including reasoning ones.'),
    cached_input_tokens: Tokens('Input tokens served from the prompt cache (subset of input_tokens).'),
    cache_write_tokens: Tokens('Input tokens written to the prompt cache (subset of input_tokens).'),
    reasoning_tokens: Tokens('Reasoning tokens (subset of output_tokens).'),
    tokens_used: Tokens('Legacy total tokens, used only when input/output are absent.'),
    cost_usd: Type.Optional(Type.Number({ minimum: 0, description: 'Provider-reported cost; preferred over catalog prices when present.' })),
    latency_ms: Type.Optional(Type.Number({ minimum: 0, description: 'End-to-end latency.' })),
    status: StringEnum(['success', 'error', 'timeout'], 'Outcome of the call.'),
    user_id: Str('End user (pseudonymous id).'),
    organization_id: Str('Customer organization.'),
    team: Str('Internal team the spend is attributed to.'),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form metadata (e.g. experiment metric values).' })),
  },
  'One LLM call as exported by runtime services; read by `promptops spend`.',
);

export type UsageRecord = Static<typeof UsageRecord>;
