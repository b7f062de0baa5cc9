import { Type, type Static } from '@sinclair/typebox';
import type { Diagnostic } from '../diagnostics.js';
import { StrictObject, StringEnum } from './_common.js';

// The report of `promptops diff --json` / `--output` (read back by `promptops comment --from`).
// Every key is snake_case; the TypeScript types of src/core/diff are derived from these schemas.

const Opt = Type.Optional;
const Count = (description: string) => Type.Integer({ minimum: 0, description });
const Tokens = (description: string) => Type.Number({ minimum: 0, description: `${description} (tokens per call; a mean, so not necessarily whole).` });
const UsdPerMonth = (description: string) => Type.Number({ description: `${description} (USD per month of 30 days, catalog prices on \`cost.date\`, unrounded).` });
const UsdPerPeriod = (description: string) => Type.Number({ description: `${description} (USD per budget period, unrounded).` });
const PassTotal = (description: string) => StrictObject({ passed: Count('Tests that passed.'), total: Count('Tests run, skipped ones included.'), skipped: Count('Tests whose every assertion was skipped (no model answered: offline); neither passed nor failed.') }, description);

const side = (description: string) => StrictObject(
  {
    ref: Type.String({ description: 'The ref as given (`origin/main`, `HEAD`), how the base was found, or `working tree` for the head.' }),
    commit: Opt(Type.String({ description: 'Full commit sha of the side (for the working tree: its `HEAD` commit).' })),
    exists: Type.Boolean({ description: 'Whether a promptops repository exists at that commit; false when it did not exist yet (everything is added, no policy applies).' }),
  },
  description,
);
export const Side = side('One side of the comparison.');

export const EntityKind = StringEnum(['prompt', 'partial', 'feature', 'model', 'provider', 'budget', 'experiment', 'config'], 'Kind of entity.');
export const ChangeType = StringEnum(['added', 'removed', 'changed', 'renamed'], 'How the entity changed.');

export const FieldChange = StrictObject(
  {
    path: Type.String({ description: 'Dotted path of the changed field (`environments.production.model`); empty when the whole value changed (a partial\'s text).' }),
    base: Opt(Type.Unknown({ description: 'Value at base (any JSON value, from the file); absent when the field does not exist at base.' })),
    head: Opt(Type.Unknown({ description: 'Value at head (any JSON value, from the file); absent when the field does not exist at head.' })),
  },
  'One changed field; a list of scalars (ids, tags, stop sequences) is one change of the whole list.',
);

export const EntityChange = StrictObject(
  {
    kind: EntityKind,
    id: Type.String({ description: 'Id at head (at base for removed entities).' }),
    change: ChangeType,
    file: Type.String({ description: 'File at head (at base for removed entities), relative to the repository root.' }),
    base_id: Opt(Type.String({ description: 'Id at base, for renamed entities.' })),
    base_file: Opt(Type.String({ description: 'File at base, for renamed entities.' })),
    fields: Type.Array(FieldChange, { description: 'Changed fields (also for renamed entities); empty for added and removed ones.' }),
  },
  'An entity (file or catalog entry) that was added, removed, renamed or changed.',
);

const VersionNumber = (side: string) => Opt(Type.Integer({ minimum: 1, description: `Version of the prompt at ${side}; absent when the prompt does not exist there.` }));
const StatusName = (side: string) => Opt(Type.String({ description: `Status of the prompt at ${side} (\`draft\`, \`review\`, \`approved\`, \`archived\`); absent when the prompt does not exist there.` }));

export const PromptChange = StrictObject(
  {
    id: Type.String({ description: 'Prompt id at head (at base for removed prompts).' }),
    change: StringEnum(['added', 'removed', 'changed', 'renamed', 'assignment'], '`assignment`: the file did not change but a feature or catalog change altered its model, parameters or price.'),
    file: Type.String({ description: 'Prompt file, relative to the repository root.' }),
    base_id: Opt(Type.String({ description: 'Prompt id at base, for renamed prompts.' })),
    base_file: Opt(Type.String({ description: 'Prompt file at base, for renamed prompts.' })),
    version: StrictObject({ base: VersionNumber('base'), head: VersionNumber('head') }, 'Version at base and head.'),
    status: StrictObject({ base: StatusName('base'), head: StatusName('head') }, 'Lifecycle status at base and head.'),
    content_changed: Type.Boolean({ description: 'Templates, the partials they include, or variable defaults changed: what the model is sent.' }),
    params: Type.Array(FieldChange, { description: 'Changes of the prompt\'s own model parameters (`model:`), by path inside `model` (`model` when the whole block changed).' }),
    partials: Type.Array(Type.String({ description: 'Partial name.' }), { description: 'Partials included at base or head whose text changed.' }),
    diff: Opt(Type.String({ description: 'Unified diff of the prompt rendered at base and head (with the variables of test `rendered_with`, else defaults), or of its templates when it cannot be rendered; absent when the rendering is the same.' })),
    rendered_with: Opt(Type.String({ description: 'Name of the test whose `vars` rendered `diff`; absent when rendered with variable defaults or from templates.' })),
    note: Opt(Type.String({ description: 'Changelog note of the head version.' })),
  },
  'A prompt whose file, included partials, or model assignment changed.',
);

const STATUSES = ['pass', 'fail', 'error', 'skipped'] as const;
export const TestStatus = StringEnum(STATUSES, 'Test status; `skipped`: every assertion was skipped because the offline provider answered.');
export const TestChangeKind = StringEnum(['regression', 'fixed', 'added', 'removed', 'unanswered', 'still-failing', 'unchanged'], '`regression`: passed at base and fails or errors at head; `fixed`: the reverse; `unanswered`: not compared, because no model answered at base or head (an offline answer, so the test was skipped; a `replay-miss`; a rubric only the offline provider could grade); `still-failing`: does not pass at either side.');

export const TestChange = StrictObject(
  {
    kind: TestChangeKind,
    prompt: Type.String({ description: 'Prompt id (the head id of a renamed prompt, whose tests are matched with those of its base id).' }),
    test: Type.String({ description: 'Test name.' }),
    base: Opt(StringEnum(STATUSES, 'Status at base; absent for new tests.')),
    head: Opt(StringEnum(STATUSES, 'Status at head; absent for removed tests.')),
    file: Type.String({ description: 'Prompt file of the test at head (at base for removed tests).' }),
    line: Opt(Type.Integer({ minimum: 1, description: 'Line of the test in `file`, when known.' })),
    reason: Opt(Type.String({ description: 'Why the test does not pass at head: the failing assertions or the error (for a skipped test, why it was skipped).' })),
    skipped_assertions: Opt(Count('Output assertions of the test skipped at head because the offline provider answered; absent when none.')),
  },
  'One test compared between the base and head eval runs (matched by prompt, variant and test name).',
);

export const PromptEvals = StrictObject(
  {
    prompt: Type.String({ description: 'Prompt id at head.' }),
    base: Opt(PassTotal('Tests of the prompt at base; absent when it had none there.')),
    head: Opt(PassTotal('Tests of the prompt at head; absent when it has none there.')),
  },
  'Eval totals of one changed prompt.',
);

export const EvalDiff = StrictObject(
  {
    tests: Type.Array(TestChange, { description: 'Regressions first, then fixes, new and removed tests, still failing, unchanged.' }),
    prompts: Type.Array(PromptEvals, { description: 'Per prompt, by id.' }),
    base: PassTotal('All tests run at base.'),
    head: PassTotal('All tests run at head.'),
    assertions_skipped: Count('Output assertions skipped at head because the offline provider answered (the check fails on them unless the base sets `policy.allow_offline: true`).'),
    regressions: Count('Tests that went from pass to fail or error (`policy.max_eval_regressions` counts these).'),
    fixed: Count('Tests that went from fail or error to pass.'),
  },
  'Tests of the changed prompts run at base and head; absent with `--no-eval`.',
);

const callCost = (description: string) => StrictObject(
  {
    model: Type.String({ description: 'Model (`provider/model`) the feature uses in this environment at this side.' }),
    input_tokens: Tokens('Mean input tokens over the renderings of the prompt\'s tests (variable defaults when none renders) for this feature and environment, counted with tiktoken, chat framing included'),
    output_tokens: Tokens('Mean output tokens; 0 when unknown (`output_source: none`)'),
    output_source: StringEnum(['usage', 'eval', 'none'], 'Where `output_tokens` came from: usage logs of the last 30 days, real (live or recorded) eval answers, or nowhere (cost is input only).'),
    cost_per_call: Opt(Type.Number({ minimum: 0, description: 'Cost of one call: input tokens × input price + output tokens × output price (USD per call, catalog price on `cost.date`, unrounded); absent when the model has no price on that date.' })),
    monthly: Opt(Type.Number({ minimum: 0, description: 'cost_per_call × monthly_calls (USD per month of 30 days, unrounded); absent when the model has no price.' })),
  },
  description,
);
export const CallCost = callCost('The cost of one call and one month at one side of a row.');

export const CostRow = StrictObject(
  {
    prompt: Type.String({ description: 'Prompt id at head (at base for removed prompts).' }),
    feature: Type.String({ description: 'Feature that uses the prompt at base or head.' }),
    environment: Type.String({ description: 'Environment.' }),
    base: Opt(callCost('Cost at base; absent when the prompt is not served there (the prompt or its feature does not exist, no model, a status the environment does not publish, or it does not render).')),
    head: Opt(callCost('Cost at head; absent when the prompt is not served there.')),
    monthly_calls: Type.Number({ minimum: 0, description: 'Calls per month (30 days): from usage logs of the last 30 days, or the feature\'s `traffic` (calls per day) × 30 for the last environment, else 0.' }),
    calls_source: StringEnum(['usage', 'traffic', 'none'], 'Where `monthly_calls` came from.'),
    delta: UsdPerMonth('head.monthly − base.monthly; a side without a model or price counts as 0'),
    team: Opt(Type.String({ description: 'Team of the feature, matched by budget scopes.' })),
  },
  'Cost of one changed prompt for one feature and environment, priced at base and head.',
);

export const CostSummary = StrictObject(
  {
    rows: Type.Array(CostRow, { description: 'Per changed prompt × feature × environment.' }),
    base: UsdPerMonth('Projected monthly cost of the changed prompts at base, over the priced rows'),
    head: UsdPerMonth('Projected monthly cost of the changed prompts at head, over the priced rows'),
    delta: UsdPerMonth('head − base'),
    pct: Type.Union([Type.Number(), Type.Null()], { description: 'delta / base × 100 (percent); null when base is 0.' }),
    unpriced: Count('Rows whose model has no catalog price on `date`; they are left out of the totals and the budgets.'),
    date: Type.String({ format: 'date', description: 'Date of the catalog prices (YYYY-MM-DD, UTC).' }),
  },
  'Projected monthly cost of the changed prompts.',
);

export const BudgetImpact = StrictObject(
  {
    budget: Type.String({ description: 'Budget name.' }),
    file: Type.String({ description: 'Budget file at head, relative to the repository root.' }),
    period: StringEnum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly'], 'Budget period.'),
    amount: Type.Number({ description: 'Spend limit per period (USD), as in the budget file at head.' }),
    enforce: StringEnum(['warn', 'block'], '`block` fails the check when the change makes the projection cross `amount`.'),
    delta: UsdPerPeriod('Change of the projected spend caused by this change: the monthly change of the rows in scope ÷ 30 × the days of the period'),
    projected_base: UsdPerPeriod('Projected spend at the end of the current period without the change: from usage logs, or (`estimated`) the changed prompts\' base cost alone'),
    projected_head: UsdPerPeriod('projected_base + delta, at least 0'),
    estimated: Type.Boolean({ description: 'No usage logs for the period: projected_base covers only the changed prompts, scaled to the average period length.' }),
    exceeds: Type.Boolean({ description: 'projected_head > amount.' }),
    blocked: Type.Boolean({ description: '`enforce: block`, the change raises spend, and projected_head > amount: the check fails (`budget-blocked`).' }),
  },
  'A budget whose scope covers a priced row at base or head.',
);

export const ReportDiagnostic = StrictObject(
  {
    code: Type.String({ description: 'Diagnostic code (see docs/diagnostics.md).' }),
    severity: StringEnum(['error', 'warning', 'info'], 'Any `error` fails the check.'),
    message: Type.String({ description: 'What is wrong.' }),
    file: Opt(Type.String({ description: 'Repository-relative POSIX path.' })),
    line: Opt(Type.Integer({ minimum: 1, description: '1-based line in `file`.' })),
    col: Opt(Type.Integer({ minimum: 1, description: '1-based column in `file`.' })),
    path: Opt(Type.Array(Type.Union([Type.String(), Type.Integer({ minimum: 0 })]), { description: 'Path inside the document (e.g. `["tests", 0, "vars"]`).' })),
    hint: Opt(Type.String({ description: 'How to fix it.' })),
  },
  'A finding, in the diagnostic format shared by every command.',
);

export const DiffReportFile = StrictObject(
  {
    kind: Type.Literal('promptops/diff', { description: 'File kind.' }),
    schema_version: Type.Literal(3, { description: 'Version of this format; bumped on incompatible changes (3: skipped tests and assertions). `promptops comment --from` reads only its own version.' }),
    base: side('The base: what the change is compared with.'),
    head: side('The head: the change.'),
    environment: Type.String({ description: 'Environment the evals ran in.' }),
    entities: Type.Array(EntityChange, { description: 'Every changed entity, prompts first, then partials, features, providers, models, budgets, experiments, config.' }),
    prompts: Type.Array(PromptChange, { description: 'Changed prompts, by id (documentation-only edits are listed in `entities` only).' }),
    evals: Opt(EvalDiff),
    cost: CostSummary,
    budgets: Type.Array(BudgetImpact, { description: 'Budgets affected by the change, by name.' }),
    diagnostics: Type.Array(ReportDiagnostic, { description: 'Policy and threshold findings (with `ci`, also the validation errors); any error fails the check.' }),
    headline: Type.String({ description: 'The headline sentence (`3 prompts changed · evals 41/42 (−1) · est. +$212/mo (+8.1%)`).' }),
    notes: Opt(Type.Array(Type.String({ description: 'A caveat.' }), { description: 'Caveats about the inputs (usage window, rejected log rows, uncommitted head); `comment --from` does not show them.' })),
    github: Opt(StrictObject(
      {
        repository: Opt(Type.String({ description: '`owner/name` (GITHUB_REPOSITORY).' })),
        pr: Type.Integer({ minimum: 1, description: 'Pull request number.' }),
        head_sha: Opt(Type.String({ description: 'Head commit of the pull request in the event.' })),
      },
      'The pull request the diff was computed for (GitHub Actions), so a separate workflow can post the comment.',
    )),
  },
  'Report of `promptops diff --json` / `--output` (input of `promptops comment --from`).',
);

export type Side = Static<typeof Side>;
export type EntityKind = Static<typeof EntityKind>;
export type ChangeType = Static<typeof ChangeType>;
export type FieldChange = Static<typeof FieldChange>;
export type EntityChange = Static<typeof EntityChange>;
export type PromptChange = Static<typeof PromptChange>;
export type TestStatus = Static<typeof TestStatus>;
export type TestChangeKind = Static<typeof TestChangeKind>;
export type TestChange = Static<typeof TestChange>;
export type PromptEvals = Static<typeof PromptEvals>;
export type EvalDiff = Static<typeof EvalDiff>;
export type CallCost = Static<typeof CallCost>;
export type CostRow = Static<typeof CostRow>;
export type CostSummary = Static<typeof CostSummary>;
export type BudgetImpact = Static<typeof BudgetImpact>;
export type DiffReport = Static<typeof DiffReportFile>;

// The report's diagnostics are the project-wide Diagnostic: this fails to compile when the two drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<Static<typeof ReportDiagnostic>, Diagnostic>;
