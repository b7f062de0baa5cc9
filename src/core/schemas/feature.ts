import { Type, type Static } from '@sinclair/typebox';
import { KeyedRecord, ModelParams, ModelRef, Owners, PROMPT_ID_PATTERN, PromptId, SLUG_PATTERN, Slug, StrictObject, StringEnum } from './_common.js';

export const FeatureEnvironment = StrictObject(
  {
    model: ModelRef('Model serving this feature in the environment, `provider/model` from the catalog.'),
    params: Type.Optional(ModelParams),
    fallbacks: Type.Optional(Type.Array(ModelRef('Fallback model.'), { uniqueItems: true, description: 'Models tried in order when the primary fails.' })),
  },
  'Model assignment of the feature in one environment.',
);

export const FeatureFile = StrictObject(
  {
    name: Slug('Feature id; must equal the file name without extension.'),
    display_name: Type.Optional(Type.String({ description: 'Human-readable name.' })),
    description: Type.Optional(Type.String({ description: 'What the feature does for users.' })),
    status: StringEnum(['active', 'inactive', 'maintenance'], 'Only `active` features must use available models; inactive ones are still compiled.'),
    owners: Type.Optional(Owners),
    team: Type.Optional(Type.String({ description: 'Team the spend of this feature is attributed to.' })),
    prompts: Type.Array(PromptId('Prompt id (path under prompts/ without extension).'), { uniqueItems: true, description: 'Prompts this feature uses.' }),
    environments: KeyedRecord(SLUG_PATTERN, FeatureEnvironment, 'Model assignment per environment (development, staging, production or those declared in promptops.config.yaml).'),
    traffic: Type.Optional(KeyedRecord(PROMPT_ID_PATTERN, Type.Number({ minimum: 0 }), 'Expected calls per day per prompt id, for cost projections when no usage logs exist.')),
  },
  'A product feature and which model serves it in each environment.',
);

export type FeatureFile = Static<typeof FeatureFile>;
export type FeatureEnvironment = Static<typeof FeatureEnvironment>;
