import { catalogModel, CONFIG_YAML, repo, type Tree } from './repo.js';

const localModel = (id: string, capabilities: string, input: number, output: number, extra: Record<string, number> = {}) =>
  catalogModel(`local/${id}`, capabilities, [{ effective_from: '2025-01-01', input_per_mtok: input, output_per_mtok: output, ...extra }]);

/** Catalog of a local OpenAI-compatible provider; tests point it at their server with PROMPTOPS_LOCAL_BASE_URL. */
export const LOCAL_MODELS_YAML = `providers:
  local:
    type: custom
    base_url: http://127.0.0.1:9/v1
    api_key_env: LOCAL_API_KEY
models:
${localModel('chat-1', 'chat, json_mode', 1, 2, { cached_input_per_mtok: 0.5 })}${localModel('chat-2', 'chat', 10, 20)}${localModel('grader-1', 'chat, json_mode', 3, 6)}${localModel('embed-1', 'embeddings', 0.1, 0)}`;

export const evalConfig = (evalSection = '') => `${CONFIG_YAML}eval:
  provider: live
  concurrency: 4
  timeout_ms: 3000
  retries: 2
  cache_dir: .cache
  grader: local/grader-1
  embedding_model: local/embed-1
${evalSection}`;

export const FEATURE = `name: support
status: active
prompts: [answer]
environments:
  development:
    model: local/chat-1
  staging:
    model: local/chat-1
  production:
    model: local/chat-1
`;

/** A prompt file with the given tests (YAML list, indented by two spaces under tests:). */
export const promptWithTests = (tests: string, extra = '') => `version: 1
status: approved
variables:
  question:
    type: string
messages:
  - role: system
    content: You answer questions about Lumen.
  - role: user
    content: "{{question}}"
${extra}tests:
${tests}`;

/** A repository whose only provider is the local one. */
export function evalRepo(tests: string, overrides: Tree = {}): string {
  return repo({
    'promptops.config.yaml': evalConfig(),
    'features/_models.yaml': LOCAL_MODELS_YAML,
    'features/support.yaml': FEATURE,
    'prompts/answer.yaml': promptWithTests(tests),
    ...overrides,
  });
}

export const localEnv = (url: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ LOCAL_API_KEY: 'test-key', PROMPTOPS_LOCAL_BASE_URL: url, ...extra });
