import { Type, type Static } from '@sinclair/typebox';
import { StrictObject, StringEnum } from './_common.js';

const Opt = Type.Optional;
const Usd = (description: string) => Type.Number({ minimum: 0, description: `${description} (USD, catalog prices on the day of the run).` });
const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const AssertionOutcome = StrictObject(
  {
    type: Type.String({ description: 'Assertion type as written, including a `not-` prefix.' }),
    target: StringEnum(['prompt', 'output'], 'What was checked: the rendered prompt or the model output.'),
    pass: Type.Boolean({ description: 'Whether the assertion passed (after negation); false when `skipped`.' }),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Score 0..1; binary assertions score 0 or 1.' }),
    weight: Type.Number({ minimum: 0, description: 'Weight in the test score.' }),
    reason: Type.String({ description: 'Why it passed or failed, in words.' }),
    error: Opt(Type.Boolean({ description: 'The assertion could not be evaluated (grader unreachable, invalid regex, missing file); the test is `error`.' })),
    error_kind: Opt(StringEnum(['unreachable', 'config', 'grader-offline', 'replay-miss'], 'Why the grader or embedding call failed: `unreachable` (no answer after the retries: no connection, HTTP 5xx, 429 or timeouts), `config` (the provider could not be used at all) and `grader-offline` (the offline provider cannot grade) make the run exit 3; `replay-miss`: no recorded grading response under `--replay`.')),
    skipped: Opt(Type.Literal(true, { description: 'Not checked: the answer came from the offline provider, which echoes its input, so an output assertion on it proves nothing. A skipped assertion neither passes nor fails and has no weight in the score (`pass` is false, `score` 0).' })),
    description: Opt(Type.String({ description: 'The assertion\'s own description from the prompt file.' })),
  },
  'Outcome of one assertion.',
);

export const TestOutcome = StrictObject(
  {
    prompt: Type.String({ description: 'Prompt id whose test this is.' }),
    rendered_prompt: Opt(Type.String({ description: 'Prompt actually rendered, when an experiment variant swapped it.' })),
    prompt_version: Type.Integer({ minimum: 1, description: 'Version of the rendered prompt.' }),
    test: Type.String({ description: 'Test name.' }),
    variant: Opt(Type.String({ description: 'Experiment variant (with --experiment).' })),
    feature: Opt(Type.String({ description: 'Feature whose model assignment applied.' })),
    environment: Type.String({ description: 'Environment of the assignment.' }),
    model: Opt(Type.String({ description: '`provider/model` called.' })),
    file: Type.String({ description: 'Prompt file, relative to the repository root.' }),
    line: Opt(Type.Integer({ minimum: 1, description: 'Line of the test in `file`; present on tests that did not pass or had assertions skipped.' })),
    status: StringEnum(['pass', 'fail', 'error', 'skipped'], 'Decided by the assertions that were checked. `error`: the test could not be evaluated (call failed, render failed, assertion errored, or `replay-miss`: no recorded response under `--replay`); `skipped`: every assertion was skipped (output assertions on an offline answer), so nothing was checked.'),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Weighted assertion score.' }),
    threshold: Opt(Type.Number({ description: 'Pass mark of the weighted score; without it every assertion must pass.' })),
    assertions: Type.Array(AssertionOutcome, { description: 'Assertions in file order (output assertions are missing when the call failed).' }),
    error: Opt(StrictObject(
      {
        kind: StringEnum(['unreachable', 'config', 'grader-offline', 'timeout', 'rate-limit', 'http', 'replay-miss', 'invalid-response', 'render', 'no-model', 'assertion'], 'What went wrong; `unreachable` (including HTTP 5xx after the retries), `config`, `grader-offline`, `timeout` and `rate-limit` make `eval` exit 3 (`diff` treats `grader-offline` as an errored test).'),
        message: Type.String({ description: 'What went wrong and how to fix it.' }),
      },
      'Why the test errored.',
    )),
    output: Opt(Type.String({ description: 'The model output.' })),
    source: Opt(StringEnum(['live', 'cache', 'offline'], 'Where the output came from; `offline`: the offline provider\'s stand-in (an echo of the input, or the smallest JSON the requested schema allows), not a model answer, so output assertions on it are `skipped`.')),
    latency_ms: Opt(Count('Call latency in ms (recorded latency for cached answers).')),
    tokens: Opt(StrictObject(
      {
        input: Count('Input tokens.'),
        output: Count('Output tokens.'),
        cached_input: Opt(Count('Cached input tokens (a subset of input).')),
        reasoning: Opt(Count('Reasoning tokens (a subset of output).')),
        estimated: Type.Boolean({ description: 'Counted with tiktoken because the provider reported no usage.' }),
      },
      'Tokens of the tested call.',
    )),
    cost_usd: Opt(Usd('Cost of the tested call; absent for offline answers and unpriced models')),
    grading: StrictObject(
      {
        calls: Count('Grader (llm-rubric) and embedding (similar) calls.'),
        input_tokens: Count('Their input tokens.'),
        output_tokens: Count('Their output tokens.'),
        cost_usd: Usd('Their cost'),
        estimated: Type.Boolean({ description: 'Some of their tokens are tiktoken estimates.' }),
      },
      'Grading calls, accounted apart from the tested call.',
    ),
  },
  'Result of one test case.',
);

export const GroupOutcome = StrictObject(
  {
    prompt: Type.String({ description: 'Prompt id.' }),
    variant: Opt(Type.String({ description: 'Experiment variant.' })),
    total: Count('Tests.'),
    passed: Count('Passed tests.'),
    failed: Count('Failed tests.'),
    errored: Count('Errored tests.'),
    skipped: Count('Skipped tests (every assertion skipped: offline answers).'),
    assertions_skipped: Count('Output assertions skipped because the offline provider answered (also in tests that passed on their prompt assertions).'),
    pass_rate: Type.Number({ minimum: 0, maximum: 1, description: 'passed / (total − skipped); 0 when every test was skipped.' }),
    input_tokens: Count('Input tokens of the tested calls.'),
    output_tokens: Count('Output tokens of the tested calls.'),
    tokens_estimated: Type.Boolean({ description: 'Some token counts are tiktoken estimates.' }),
    cost_usd: Usd('Cost of the tested calls'),
    grading_cost_usd: Usd('Cost of grading calls'),
    latency_p50_ms: Opt(Type.Number({ minimum: 0, description: 'Median call latency.' })),
    latency_p95_ms: Opt(Type.Number({ minimum: 0, description: '95th percentile call latency.' })),
  },
  'Totals of one prompt (and variant).',
);

export const EvalSummarySchema = StrictObject(
  {
    total: Count('Tests run.'),
    passed: Count('Passed.'),
    failed: Count('Failed.'),
    errored: Count('Errored.'),
    skipped: Count('Skipped: every assertion of the test was skipped (offline answers); neither passed nor failed.'),
    assertions_skipped: Count('Output assertions skipped because the offline provider answered, over all tests (also those that passed on their prompt assertions).'),
    unreachable: Count('Tests whose provider gave no answer after the retries or could not be used at all (exit 3).'),
    input_tokens: Count('Input tokens of the tested calls.'),
    output_tokens: Count('Output tokens of the tested calls.'),
    cost_usd: Usd('Cost of the tested calls'),
    grading: StrictObject({ calls: Count('Calls.'), input_tokens: Count('Input tokens.'), output_tokens: Count('Output tokens.'), cost_usd: Usd('Cost') }, 'Grading calls.'),
    sources: Type.Record(Type.String(), Count('Tests.'), { description: 'Tests per output source (live, cache, offline).' }),
    groups: Type.Array(GroupOutcome, { description: 'Per prompt (and variant).' }),
  },
  'Totals of the run.',
);

export const EvalResultsFile = StrictObject(
  {
    schema_version: Type.Literal(2, { description: 'Version of this format; bumped on incompatible changes (2: tests and assertions can be `skipped`).' }),
    kind: Type.Literal('promptops/eval-results', { description: 'File kind.' }),
    environment: Type.String({ description: 'Environment the tests ran against.' }),
    mode: StringEnum(['cache', 'record', 'replay', 'off'], 'Response cache mode.'),
    provider: StringEnum(['auto', 'live', 'offline'], 'Provider choice.'),
    experiment: Opt(Type.String({ description: 'Experiment compared (with --experiment).' })),
    started_at: Type.String({ format: 'date-time', description: 'When the run started.' }),
    results: Type.Array(TestOutcome, { description: 'One entry per test, in plan order (prompt id, test order, variant order).' }),
    summary: EvalSummarySchema,
  },
  'Results of `promptops eval --output`.',
);

export type TestOutcome = Static<typeof TestOutcome>;
export type AssertionOutcome = Static<typeof AssertionOutcome>;
export type GroupOutcome = Static<typeof GroupOutcome>;
export type EvalSummaryData = Static<typeof EvalSummarySchema>;
