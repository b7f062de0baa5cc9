import { Type, type Static } from '@sinclair/typebox';
import { KeyedRecord, ModelParams, ModelRef, Owners, Slug, StrictObject, VARIABLE_NAME_PATTERN, StringEnum } from './_common.js';

const VariableType = StringEnum(['string', 'number', 'integer', 'boolean', 'array', 'object'], 'JSON type of the variable.');

export const VariableSpec = StrictObject(
  {
    type: VariableType,
    description: Type.Optional(Type.String({ description: 'What the variable holds; shown in `promptops render --help` and generated code.' })),
    required: Type.Optional(Type.Boolean({ description: 'Whether callers must pass it (default true unless a `default` is given).' })),
    default: Type.Optional(Type.Unknown({ description: 'Value used when the caller passes none.' })),
    enum: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, description: 'Allowed values.' })),
    minLength: Type.Optional(Type.Integer({ minimum: 0, description: 'Minimum length (strings and arrays).' })),
    maxLength: Type.Optional(Type.Integer({ minimum: 0, description: 'Maximum length (strings and arrays); bounds prompt size and cost.' })),
    pattern: Type.Optional(Type.String({ description: 'Regular expression a string value must match.' })),
    minimum: Type.Optional(Type.Number({ description: 'Minimum value (numbers).' })),
    maximum: Type.Optional(Type.Number({ description: 'Maximum value (numbers).' })),
    items: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of array items.' })),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of object properties.' })),
  },
  'Declaration of one template variable: a subset of JSON Schema.',
);

export const ASSERTION_TYPES = [
  'contains', 'icontains', 'regex', 'equals', 'starts-with', 'is-json', 'json-schema',
  'max-tokens', 'max-cost', 'latency', 'cost', 'llm-rubric', 'similar', 'javascript',
] as const;

export const Assertion = StrictObject(
  {
    type: StringEnum(ASSERTION_TYPES.flatMap((t) => [t, `not-${t}`]), 'Assertion kind; prefix with `not-` to negate (e.g. `not-contains`).'),
    target: Type.Optional(StringEnum(['prompt', 'output'], 'What the assertion checks: the rendered `prompt` (no model call) or the model `output`. Defaults to `prompt` for max-tokens/max-cost and `output` otherwise.')),
    value: Type.Optional(Type.Unknown({ description: 'Expected value: text, regex, JSON Schema, limit, rubric or file path, depending on `type`.' })),
    threshold: Type.Optional(Type.Number({ description: 'Score or limit threshold (e.g. cosine similarity for `similar`, minimum score for `llm-rubric`).' })),
    weight: Type.Optional(Type.Number({ minimum: 0, description: 'Weight of this assertion in the test score (default 1).' })),
    description: Type.Optional(Type.String({ description: 'Human explanation shown when the assertion fails.' })),
    provider: Type.Optional(ModelRef('Grader or embedding model for `llm-rubric` and `similar` (defaults to the eval config).')),
  },
  'One check on the rendered prompt or on the model output.',
);

export const TestCase = StrictObject(
  {
    name: Type.String({ minLength: 1, description: 'Test name, unique within the prompt.' }),
    description: Type.Optional(Type.String({ description: 'What the test is about.' })),
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Variable values for this test.' })),
    feature: Type.Optional(Slug('Feature whose model assignment this test runs under (defaults to the first feature using the prompt).')),
    model: Type.Optional(ModelRef('Model override for this test (`provider/model`).')),
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Weighted share of assertions that must pass (default 1: all).' })),
    assert: Type.Array(Assertion, { description: 'Assertions, all evaluated.' }),
  },
  'A test case: variables plus assertions.',
);

export const ChatMessage = StrictObject(
  {
    role: StringEnum(['system', 'user', 'assistant'], 'Message role.'),
    content: Type.String({ description: 'Handlebars template of the message content.' }),
    name: Type.Optional(Type.String({ description: 'Optional participant name.' })),
  },
  'One chat message.',
);

export const PromptFile = StrictObject(
  {
    version: Type.Integer({ minimum: 1, description: 'Prompt version; must increase when rendered content or model parameters change.' }),
    status: StringEnum(['draft', 'review', 'approved', 'archived'], 'Lifecycle status; each environment publishes only the statuses listed in promptops.config.yaml.'),
    description: Type.Optional(Type.String({ description: 'What the prompt does.' })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description: 'Free-form tags for search and reports.' })),
    category: Type.Optional(Type.String({ description: 'Grouping category (e.g. `support`, `search`).' })),
    owners: Type.Optional(Owners),
    changelog: Type.Optional(Type.Array(
      StrictObject(
        {
          version: Type.Integer({ minimum: 1, description: 'Version this note describes.' }),
          note: Type.String({ minLength: 1, description: 'What changed and why.' }),
          date: Type.Optional(Type.String({ format: 'date', description: 'Date of the change (YYYY-MM-DD).' })),
        },
        'A changelog entry.',
      ),
      { description: 'Changelog, one entry per version.' },
    )),
    template: Type.Optional(Type.String({ description: 'Text prompt (Handlebars). Use either `template` or `messages`.' })),
    messages: Type.Optional(Type.Array(ChatMessage, { minItems: 1, description: 'Chat prompt: messages with Handlebars content. Use either `template` or `messages`.' })),
    variables: Type.Optional(KeyedRecord(VARIABLE_NAME_PATTERN, VariableSpec, 'Variables the template uses, by name. Rendering validates input against them.')),
    model: Type.Optional(ModelParams),
    tests: Type.Optional(Type.Array(TestCase, { description: 'Test cases run by `promptops eval`.' })),
  },
  'A prompt: a text template or chat messages with typed variables and tests. Its id is its path under prompts/ without extension.',
);

export type PromptFile = Static<typeof PromptFile>;
export type VariableSpec = Static<typeof VariableSpec>;
export type TestCase = Static<typeof TestCase>;
export type Assertion = Static<typeof Assertion>;
export type ChatMessage = Static<typeof ChatMessage>;
