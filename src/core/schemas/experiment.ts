import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, ModelParams, ModelRef, Owners, PromptId, Slug, StrictObject, StringEnum } from './_common.js';

export const ExperimentFile = StrictObject(
  {
    name: Slug('Experiment id; must equal the file name without extension.'),
    display_name: Type.Optional(Type.String({ description: 'Human-readable name.' })),
    description: Type.Optional(Type.String({ description: 'Hypothesis and what is being compared.' })),
    feature: Slug('Feature the experiment runs on.'),
    type: StringEnum(['a_b_test', 'prompt_testing', 'model_comparison', 'parameter_tuning'], '`a_b_test` splits live traffic; the others can also be run offline with `promptops eval --experiment`.'),
    status: StringEnum(['draft', 'running', 'paused', 'completed', 'cancelled'], 'Only `running` experiments are published to runtime bundles.'),
    hash_attribute: Type.Optional(Type.String({ minLength: 1, description: 'Attribute of the unit hashed for assignment (default `user_id`).' })),
    seed: Type.Optional(Type.String({ minLength: 1, description: 'Hash seed (defaults to the experiment name). Changing it reassigns users.' })),
    coverage: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of units included in the experiment (default 1).' })),
    variants: Type.Array(
      StrictObject(
        {
          name: Type.String({ pattern: '^[a-z0-9]+(?:[-_][a-z0-9]+)*$', description: 'Variant id.' }),
          weight: Type.Number({ minimum: 0, description: 'Traffic share; weights sum to 1 (or 100).' }),
          description: Type.Optional(Type.String({ description: 'What this variant changes.' })),
          prompt: Type.Optional(PromptId('Prompt used instead of the feature\'s one.')),
          model: Type.Optional(ModelRef('Model used instead of the feature\'s assignment.')),
          params: Type.Optional(ModelParams),
        },
        'A variant.',
      ),
      { minItems: 2, description: 'Variants; the first is the control.' },
    ),
    metrics: Type.Optional(Type.Array(
      StrictObject(
        {
          name: Type.String({ pattern: '^[a-z0-9]+(?:[-_][a-z0-9]+)*$', description: 'Metric id as logged in usage metadata.' }),
          kind: StringEnum(['binomial', 'mean'], '`binomial` (conversion rate) or `mean` (average value).'),
          goal: Type.Optional(StringEnum(['higher', 'lower'], 'Which direction is better (default higher).')),
          description: Type.Optional(Type.String({ description: 'What the metric measures.' })),
        },
        'A metric.',
      ),
      { description: 'Metrics compared between variants.' },
    )),
    starts: Type.Optional(IsoDate('Start date.')),
    ends: Type.Optional(IsoDate('End date.')),
    owners: Type.Optional(Owners),
    acknowledge_reassignment: Type.Optional(Type.String({
      minLength: 1,
      description: 'Reason for changing seed, hash attribute or weights of a running experiment; without it such a change fails CI.',
    })),
  },
  'An experiment: A/B test or offline comparison of prompts, models or parameters.',
);

export type ExperimentFile = Static<typeof ExperimentFile>;
