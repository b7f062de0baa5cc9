import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../defaults.js';
import { SCHEMAS, schemaDocument } from '../schemas/index.js';

/** The files `promptops init` writes: a repository that validates cleanly, one example of each kind. */
export function scaffoldFiles(): Record<string, string> {
  const modeline = (file: string, depth: number) => `# yaml-language-server: $schema=${'../'.repeat(depth)}schemas/${file}\n`;
  const files: Record<string, string> = {
    'promptops.config.yaml': modeline('config.schema.json', 0) + stringify({
      ...DEFAULT_CONFIG,
      // Recordings are what CI replays: they must be committed, so not under the ignored .promptops/.
      eval: { ...DEFAULT_CONFIG.eval, cache_dir: 'recordings' },
      signing: { private_key_env: 'PROMPTOPS_SIGNING_KEY' },
      usage: { paths: ['usage/**/*.jsonl'] },
      policy: { require_version_bump: 'error', max_eval_regressions: 0, max_monthly_cost_increase_pct: 20 },
    }),
    'prompts/_partials/house-style.hbs': 'Be concise and friendly. Answer in plain language; if you are unsure, say so.\n',
    'prompts/support/answer.yaml': `${modeline('prompt.schema.json', 2)}version: 1
status: approved
description: Answers a customer question about the product.
owners: ['@your-team']
changelog:
  - version: 1
    note: First version.
messages:
  - role: system
    content: |
      You are the support assistant of {{product}}.
      {{> house-style}}
  - role: user
    content: "{{question}}"
variables:
  product:
    type: string
    description: Product name shown to the customer.
    default: Acme
  question:
    type: string
    description: The customer's question.
    maxLength: 2000
model:
  temperature: 0.2
  max_tokens: 400
tests:
  - name: mentions the product
    vars: { question: How do I reset my password? }
    assert:
      - type: contains
        target: prompt
        value: Acme
      - type: max-tokens
        target: prompt
        value: 300
`,
    'features/support.yaml': `${modeline('feature.schema.json', 1)}name: support
display_name: Support assistant
description: Answers customer questions in the help widget.
status: active
owners: ['@your-team']
team: support
prompts: [support/answer]
environments:
  development:
    model: openai/gpt-6-luna
  staging:
    model: openai/gpt-6-luna
  production:
    model: openai/gpt-6-luna
    params: { temperature: 0.1 }
    fallbacks: [google/gemini-2.5-flash-lite]
traffic:
  support/answer: 2000
`,
    'features/_models.yaml': `${modeline('models.schema.json', 1)}# Extends the built-in catalog. Add self-hosted or negotiated-price models here, e.g.:
# providers:
#   local:
#     type: custom
#     base_url: http://localhost:11434/v1
#     api_key_env: LOCAL_LLM_API_KEY   # the NAME of an environment variable, never the key
# models:
#   local/llama-3.3-70b:
#     context_window: 131072
#     max_output_tokens: 8192
#     capabilities: [chat]
#     status: available
#     pricing:
#       - { effective_from: "2026-01-01", input_per_mtok: 0.2, output_per_mtok: 0.2 }
models: {}
`,
    'budgets/monthly.yaml': `${modeline('budget.schema.json', 1)}name: monthly
description: Everything the product spends on LLM calls.
period: monthly
amount: 1000
currency: USD
alerts:
  - { at: 0.8, severity: warning }
  - { at: 1.0, severity: critical }
enforce: warn
`,
    'experiments/support-model.yaml': `${modeline('experiment.schema.json', 1)}name: support-model
description: Does a larger model answer support questions better?
feature: support
type: model_comparison
status: draft
variants:
  - { name: control, weight: 0.5 }
  - { name: larger, weight: 0.5, model: openai/gpt-5.6-luna }
metrics:
  - { name: resolved, kind: binomial, goal: higher }
`,
    '.github/workflows/promptops.yml': `name: promptops
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: actions/setup-node@v4
        with: { node-version: 22 }
      - run: npx --yes promptops validate --format github
      - run: npx --yes promptops compile --out .promptops/bundles
`,
    '.gitignore': `# Build output, bundles and the local store; eval recordings live in recordings/ and are committed.
.promptops/
# Signing keys are secrets: keep them out of git; CI reads the private key from a secret env var.
*.key
*.pem
`,
  };
  for (const kind of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
    files[`schemas/${SCHEMAS[kind].file}`] = `${JSON.stringify(schemaDocument(kind), null, 2)}\n`;
  }
  return files;
}
