/** Everything the HTML spend report shows; built by the `spend report` command from DuckDB aggregates. */
export interface HtmlReportData {
  title: string;
  /** ISO date-time the report was made. */
  generatedAt: string;
  /** First and last day covered (YYYY-MM-DD, inclusive). */
  range: { from: string; to: string };
  totals: { calls: number; failedCalls: number; inputTokens: number; outputTokens: number; costUsd: number; unpricedCalls: number };
  /** Spend per day and feature (days without calls may be missing). */
  daily: Array<{ day: string; feature: string; costUsd: number; calls: number }>;
  byFeature: Array<{ feature: string; costUsd: number; calls: number }>;
  byModel: Array<{ model: string; costUsd: number; calls: number }>;
  /** The report table as the user asked for it (`--by`), cells already formatted. */
  table: { columns: string[]; rows: string[][] };
  budgets: HtmlBudget[];
  /** Lines about rejected, duplicate or unpriced rows. */
  notes: string[];
}

export interface HtmlBudget {
  name: string;
  displayName: string;
  period: string;
  /** Current period window, YYYY-MM-DD, `end` exclusive. */
  start: string;
  end: string;
  amount: number;
  spend: number;
  projected: number;
  status: 'on_track' | 'warning' | 'critical' | 'over_budget' | 'inactive';
  alerts: Array<{ at: number; severity: string }>;
  /** Cumulative actual spend at the end of each day of the window so far. */
  actual: Array<{ day: string; cumulative: number }>;
  /** Straight-line projection from the last actual day to the end of the window. */
  projection: Array<{ day: string; cumulative: number }>;
}
