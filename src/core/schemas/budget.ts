import { Type, type Static } from '@sinclair/typebox';
import { EnvVarName, IsoDate, Owners, Slug, StrictObject, StringEnum, Discriminated } from './_common.js';

const ScopeList = (what: string) => Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true, description: `${what} this budget covers.` });

export const BudgetFile = StrictObject(
  {
    name: Slug('Budget id; must equal the file name without extension.'),
    display_name: Type.Optional(Type.String({ description: 'Human-readable name.' })),
    description: Type.Optional(Type.String({ description: 'What this budget protects.' })),
    scope: Type.Optional(StrictObject(
      {
        feature: Type.Optional(ScopeList('Features')),
        provider: Type.Optional(ScopeList('Providers')),
        model: Type.Optional(ScopeList('Models (`provider/model`)')),
        environment: Type.Optional(ScopeList('Environments')),
        team: Type.Optional(ScopeList('Teams')),
      },
      'Which calls count against the budget; all listed dimensions must match. Empty or absent: everything.',
    )),
    period: StringEnum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly'], 'Budget period (calendar, UTC; weeks start on Monday).'),
    amount: Type.Number({ exclusiveMinimum: 0, description: 'Spend limit per period.' }),
    currency: Type.Optional(Type.Literal('USD', { description: 'Currency of `amount`; only USD.' })),
    alerts: Type.Optional(Type.Array(
      StrictObject(
        {
          at: Type.Number({
            minimum: 0,
            description:
              'Fraction of `amount` at which the alert fires: 0.8 = 80%, 1.2 = 120% (past the budget). A fraction, not a percent: `at: 80` would mean 80 times the amount and never fire, so `promptops validate` rejects values above 2 (error `alert-percent`, suggesting 0.8).',
          }),
          severity: StringEnum(['info', 'warning', 'critical'], 'Alert severity.'),
        },
        'An alert threshold.',
      ),
      { description: 'Alert thresholds.' },
    )),
    enforce: Type.Optional(StringEnum(['warn', 'block'], '`block` fails a pull request whose projected spend crosses the budget; `warn` (default) only reports.')),
    starts: Type.Optional(IsoDate('First day the budget applies.')),
    ends: Type.Optional(IsoDate('Last day the budget applies.')),
    owners: Type.Optional(Owners),
    notify: Type.Optional(Type.Array(
      Discriminated('type', [
        StrictObject(
          {
            type: Type.Literal('github-issue', { description: 'Open or update a GitHub issue.' }),
            repo: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$', description: 'owner/name (defaults to the current repository).' })),
            labels: Type.Optional(Type.Array(Type.String(), { description: 'Labels for the issue.' })),
          },
          'Notify through a GitHub issue.',
        ),
        StrictObject(
          {
            type: Type.Literal('webhook', { description: 'POST a JSON payload.' }),
            url_env: EnvVarName('Name of the environment variable holding the webhook URL (URLs often embed secrets).'),
          },
          'Notify through a webhook.',
        ),
      ], 'A notification channel.'),
      { description: 'Where alerts are sent, once per period and threshold.' },
    )),
  },
  'A spend budget with alert thresholds.',
);

export type BudgetFile = Static<typeof BudgetFile>;
