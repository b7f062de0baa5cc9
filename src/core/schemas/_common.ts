import { Type, type Static, type TSchema, type TUnion } from '@sinclair/typebox';

/** Lowercase slug used for ids of features, budgets, experiments and environments. */
export const SLUG_PATTERN = '^[a-z0-9]+(?:[-_][a-z0-9]+)*$';
/** Prompt ids are slugs joined by `/`, mirroring the path under `prompts/`. */
export const PROMPT_ID_PATTERN = '^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:/[a-z0-9]+(?:[-_][a-z0-9]+)*)*$';
/** `provider/model`, the model part may carry dots, colons and capitals (e.g. `gemini-2.5-pro`). */
export const MODEL_REF_PATTERN = '^[a-z0-9][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._:-]*$';
export const ENV_VAR_PATTERN = '^[A-Z_][A-Z0-9_]*$';
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const Slug = (description: string) => Type.String({ pattern: SLUG_PATTERN, description });
export const PromptId = (description: string) => Type.String({ pattern: PROMPT_ID_PATTERN, description });
export const ModelRef = (description: string) => Type.String({ pattern: MODEL_REF_PATTERN, description });
export const IsoDate = (description: string) => Type.String({ format: 'date', description });
export const EnvVarName = (description: string) => Type.String({ pattern: ENV_VAR_PATTERN, description });

export const Owners = Type.Array(Type.String({ minLength: 1 }), {
  description: 'People or teams responsible (e.g. `@acme/search-team` or an e-mail address).',
  uniqueItems: true,
});

/**
 * A map whose keys must match `keyPattern`. TypeBox's Record puts the key pattern in
 * `patternProperties`, which alone lets any other key through with its value unchecked (and the
 * checks after the schema then trip over it); `additionalProperties: false` makes such a key an
 * error located at the key.
 */
export function KeyedRecord<V extends TSchema>(keyPattern: string, value: V, description: string) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, { additionalProperties: false, description });
}

/** Object with no unknown keys: typos are errors, not silently ignored settings. */
export function StrictObject<T extends Record<string, TSchema>>(properties: T, description: string) {
  return Type.Object(properties, { additionalProperties: false, description });
}

/** Generation parameters shared by prompts (defaults), features (overrides) and experiment variants. */
export const ModelParams = StrictObject(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: 'Sampling temperature, 0 (deterministic) to 2.' })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Maximum output tokens per call; also used for worst-case cost estimates.' })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Nucleus sampling probability mass.' })),
    frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2, description: 'Penalty for repeated tokens (OpenAI-compatible providers).' })),
    presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2, description: 'Penalty for tokens already present (OpenAI-compatible providers).' })),
    seed: Type.Optional(Type.Integer({ description: 'Sampling seed, for providers that support reproducible outputs.' })),
    stop: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 4, description: 'Stop sequences.' })),
    reasoning_effort: Type.Optional(StringEnum(['minimal', 'low', 'medium', 'high'], 'Reasoning effort for reasoning models.')),
    response_format: Type.Optional(
      StrictObject(
        {
          type: StringEnum(['text', 'json_object', 'json_schema'], '`text` (default), `json_object` (any JSON) or `json_schema` (structured output validated against `schema`).'),
          name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Name of the structured-output schema (json_schema only).' })),
          strict: Type.Optional(Type.Boolean({ description: 'Ask the provider to enforce the schema strictly (json_schema only).' })),
          schema: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema the output must follow (json_schema only).' })),
        },
        'Output format requested from the model, including a JSON Schema for structured output.',
      ),
    ),
  },
  'Model generation parameters.',
);

/** A string enum emitted as JSON Schema `enum` (clearer editor hints and errors than `anyOf` of constants). */
export function StringEnum<const T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
}

/**
 * A union told apart by one property. Emitted as `oneOf` + `discriminator` so that validation
 * errors come from the branch the user meant, not from every branch.
 */
export function Discriminated<T extends TSchema[]>(property: string, variants: [...T], description: string) {
  return Type.Unsafe<Static<TUnion<T>>>({
    type: 'object',
    description,
    required: [property],
    discriminator: { propertyName: property },
    oneOf: variants.map((v) => JSON.parse(JSON.stringify(v))),
  });
}

export type ModelParams = Static<typeof ModelParams>;
