import { Type, type Static } from '@sinclair/typebox';
import { EnvVarName, ModelRef, SLUG_PATTERN, StrictObject, StringEnum } from './_common.js';

const PromptStatus = StringEnum(['draft', 'review', 'approved', 'archived'], 'Prompt status.');

export const RepoConfig = StrictObject(
  {
    version: Type.Literal(1, { description: 'Config format version.' }),
    environments: Type.Record(
      Type.String({ pattern: SLUG_PATTERN }),
      StrictObject(
        {
          description: Type.Optional(Type.String({ description: 'What the environment is for.' })),
          publish: Type.Array(PromptStatus, { minItems: 1, uniqueItems: true, description: 'Prompt statuses included in this environment\'s bundle.' }),
          require_pr_approval: Type.Optional(Type.Boolean({ description: 'Publishing needs an approved pull request for the commit.' })),
        },
        'An environment.',
      ),
      // additionalProperties: a key outside the pattern is an error, not an environment left unchecked (see KeyedRecord).
      { additionalProperties: false, description: 'Environments, in promotion order (e.g. development, staging, production).' },
    ),
    store: Type.Optional(StrictObject(
      {
        url: Type.String({ minLength: 1, description: 'Runtime store: `file://path` (relative to the repository) or `postgres://…` (credentials from `PGPASSWORD`, never in this file).' }),
      },
      'Runtime store bundles are published to.',
    )),
    signing: Type.Optional(StrictObject(
      {
        private_key_env: Type.Optional(EnvVarName('Environment variable holding the Ed25519 private key (PEM).')),
        public_key: Type.Optional(Type.String({ description: 'Path of the public key (PEM) in the repository.' })),
      },
      'Bundle signing.',
    )),
    eval: Type.Optional(StrictObject(
      {
        provider: Type.Optional(StringEnum(['auto', 'live', 'offline'], '`offline`: deterministic provider, no keys; `live`: real providers; `auto`: live when the key env var is set.')),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'Maximum concurrent model calls.' })),
        timeout_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Per-call timeout.' })),
        assertion_timeout_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Time limit of one `javascript` assertion call, in ms (default 5000); past it the call is stopped and its test errors.' })),
        retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Retries per call on 429/5xx/timeouts.' })),
        cache_dir: Type.Optional(Type.String({ description: 'Response cache directory (relative to the repository).' })),
        grader: Type.Optional(ModelRef('Model grading `llm-rubric` assertions.')),
        embedding_model: Type.Optional(ModelRef('Model computing embeddings for `similar` assertions.')),
      },
      'Evaluation defaults.',
    )),
    usage: Type.Optional(StrictObject(
      {
        paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Usage log files or globs (JSONL, CSV, Parquet, gzip, hive folders).' }),
      },
      'Where exported usage logs are read from.',
    )),
    policy: Type.Optional(StrictObject(
      {
        require_version_bump: Type.Optional(StringEnum(['error', 'warning', 'off'], 'Severity when a prompt changes without a version bump and changelog entry.')),
        max_eval_regressions: Type.Optional(Type.Integer({ minimum: 0, description: 'Tests allowed to go from pass to fail (or error) in a PR. Default 0, also when the base config does not validate. Read from the base commit.' })),
        max_monthly_cost_increase_usd: Type.Optional(Type.Number({ minimum: 0, description: 'Maximum projected monthly cost increase in USD.' })),
        max_monthly_cost_increase_pct: Type.Optional(Type.Number({ minimum: 0, description: 'Maximum projected monthly cost increase in percent.' })),
        allow_offline: Type.Optional(Type.Boolean({ description: 'Accept evals no model answered: when true, head tests of changed prompts whose output assertions the offline provider answered (skipped) are warnings instead of errors (`eval-offline`). A missing recording under --replay (`eval-replay-miss`) stays an error. Read from the base commit, like every policy. Default false.' })),
      },
      'CI policy thresholds.',
    )),
    comment: Type.Optional(StrictObject(
      {
        when: Type.Optional(StringEnum(['always', 'changes'], '`always` (default): comment on every pull request; `changes`: only when prompts or config changed (an earlier comment is still brought up to date).')),
        behavior: Type.Optional(StringEnum(['update', 'new', 'delete-and-new'], '`update` (default): edit the sticky comment in place; `new`: a new comment per run; `delete-and-new`: delete the old one and post a new one (notifies again).')),
      },
      'The pull-request comment of `promptops comment` and `promptops ci`.',
    )),
    limits: Type.Optional(StrictObject(
      {
        max_file_bytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Largest config file accepted (default 1 MiB).' })),
      },
      'Safety limits.',
    )),
  },
  'Repository settings (promptops.config.yaml).',
);

export type RepoConfig = Static<typeof RepoConfig>;
