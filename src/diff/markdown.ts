import type { CostRow } from '../core/diff/cost.js';
import type { EntityChange } from '../core/diff/entities.js';
import type { TestChange } from '../core/diff/evals.js';
import type { PromptChange } from '../core/diff/prompts.js';
import { evalRatio, signed, signedPct, type DiffReport } from '../core/diff/report.js';
import { formatUsd } from '../core/money.js';
import { plural } from '../core/plural.js';
import { redact } from '../core/redact.js';

/** GitHub rejects issue comments over 65,536 characters; the sticky-comment marker and metadata need a little of it. */
export const COMMENT_LIMIT = 65_536;
const RESERVE = 1_500;

export interface MarkdownOptions {
  /** Character budget of the whole comment (default: GitHub's limit minus room for the hidden marker). */
  limit?: number;
  /** Link to the CI run, shown in the footer. */
  runUrl?: string;
  notes?: readonly string[];
}

/**
 * The PR comment: one headline sentence, errors, a table per changed prompt, budget impact, then
 * collapsible failing tests, rendered diffs and other changes. Optional sections are added while
 * they fit, so a long report drops whole diffs (and says so) instead of being cut mid-table.
 */
export function renderMarkdown(report: DiffReport, options: MarkdownOptions = {}): string {
  const limit = (options.limit ?? COMMENT_LIMIT) - RESERVE;
  const errors = report.diagnostics.filter((d) => d.severity === 'error');
  const warnings = report.diagnostics.filter((d) => d.severity !== 'error');
  const head: string[] = [`### ${errors.length ? '❌' : '✅'} promptops: ${esc(report.headline)}`, ''];
  head.push(`Base \`${short(report.base.commit)}\` (${esc(report.base.ref)}) → head ${report.head.commit ? `\`${short(report.head.commit)}\`` : ''} (${esc(report.head.ref)}) · evals in \`${report.environment}\``);
  if (!report.base.exists) head.push('', '_The base commit has no promptops repository: everything is new._');
  if (errors.length || warnings.length) {
    head.push('', `**${plural(errors.length, 'error')}${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}**${errors.length ? ' — the check fails' : ''}`, '');
    for (const d of [...errors, ...warnings]) {
      const where = d.file ? `${code(`${d.file}${d.line ? `:${d.line}:${d.col ?? 1}` : ''}`)} ` : '';
      head.push(`- ${d.severity === 'error' ? '❌' : '⚠️'} ${where}**${d.code}**: ${esc(d.message)}${d.hint ? ` — ${esc(d.hint)}` : ''}`);
    }
  }
  const sections: string[] = [head.join('\n')];
  if (report.prompts.length) sections.push(promptTables(report));
  if (report.budgets.length) sections.push(budgetTable(report));
  const fixed: string[] = [];
  const optional: string[] = [];
  const failing = report.evals?.tests.filter((t) => t.head !== undefined && t.head !== 'pass' && t.head !== 'skipped') ?? [];
  if (failing.length) fixed.push(details(`${plural(failing.length, 'failing test')}${report.evals!.regressions ? ` (${plural(report.evals!.regressions, 'regression')})` : ''}`, failingTests(failing)));
  const unanswered = report.evals?.tests.filter((t) => t.head === 'skipped' || t.skipped_assertions) ?? [];
  if (unanswered.length) fixed.push(details(`${plural(unanswered.length, 'test')} with output assertions no model answered (offline, skipped)`, unansweredTests(unanswered)));
  const other = report.entities.filter((e) => e.kind !== 'prompt');
  if (other.length) fixed.push(details(`${plural(other.length, 'other change')} (features, models, budgets, experiments, config)`, otherChanges(other)));
  for (const p of report.prompts) if (p.diff) optional.push(details(`Rendered diff: ${esc(p.id)}${p.rendered_with ? ` (test “${esc(p.rendered_with)}”)` : ''}`, fence('diff', p.diff)));

  const footer = [`<sub>promptops · monthly volume ${volumeSource(report.cost.rows)} · prices of ${report.cost.date}${options.runUrl ? ` · [run](${options.runUrl})` : ''}</sub>`];
  for (const note of options.notes ?? []) footer.unshift(`<sub>${esc(note)}</sub>`);
  let body = [...sections, ...fixed].join('\n\n');
  const tail = footer.join('<br>\n');
  let omitted = 0;
  for (const section of optional) {
    if (body.length + section.length + tail.length + 200 > limit) {
      omitted++;
      continue;
    }
    body += `\n\n${section}`;
  }
  if (omitted) body += `\n\n_${plural(omitted, 'rendered diff')} left out to stay under GitHub's comment size limit; run \`promptops diff\` locally or see the workflow run for the full report._`;
  // The comment is public on a fork's PR: a URL password or key quoted by a diagnostic or a rendered diff is masked.
  return redact(`${body}\n\n${tail}\n`);
}

function promptTables(report: DiffReport): string {
  const out: string[] = ['#### Changed prompts'];
  const evals = new Map(report.evals?.prompts.map((p) => [p.prompt, p]) ?? []);
  for (const p of report.prompts) {
    const e = evals.get(p.id);
    const evalText = e ? `evals ${ratio(e.base)} → ${ratio(e.head)}` : '';
    const version = p.version.base === p.version.head ? `v${p.version.head}` : `${p.version.base ? `v${p.version.base}` : '∅'} → ${p.version.head ? `v${p.version.head}` : '∅'}`;
    const what = [p.change === 'renamed' ? `renamed from ${code(p.base_id!)}` : p.change === 'assignment' ? 'model or catalog change' : p.change, p.params.length ? `params: ${p.params.map((f) => f.path).join(', ')}` : '', p.partials.length ? `partials: ${p.partials.join(', ')}` : ''].filter(Boolean).join(' · ');
    out.push('', `**${code(p.id)}** · ${version} · ${what}${evalText ? ` · ${evalText}` : ''}${p.note ? ` — _${esc(p.note)}_` : ''}`);
    const rows = report.cost.rows.filter((r) => r.prompt === p.id);
    if (rows.length === 0) {
      out.push('', '_No feature uses this prompt, so it has no cost._');
      continue;
    }
    out.push('', '| Feature | Env | Model | Tokens/call | Cost/call | Calls/mo | Monthly |', '|---|---|---|--:|--:|--:|--:|');
    for (const r of rows) out.push(`| ${esc(r.feature)} | ${esc(r.environment)} | ${pair(r.base?.model, r.head?.model, code)} | ${tokens(r)} | ${pairNum(r.base?.cost_per_call, r.head?.cost_per_call, formatUsd)} | ${r.monthly_calls ? Math.round(r.monthly_calls).toLocaleString('en-US') : '—'}${r.calls_source === 'traffic' ? '¹' : ''} | ${monthly(r)} |`);
  }
  const total = report.cost;
  out.push('', `Projected monthly cost of the changed prompts: ${formatUsd(total.base)} → ${formatUsd(total.head)} (${total.delta >= 0 ? '+' : '−'}${formatUsd(Math.abs(total.delta))}${total.pct !== null ? `, ${signedPct(total.pct)}` : ''}).${total.unpriced ? ` ${plural(total.unpriced, 'row')} without a catalog price left out.` : ''}`);
  if (total.rows.some((r) => r.calls_source === 'traffic')) out.push('', '¹ from the feature\'s `traffic` (no usage logs for it).');
  if (total.rows.some((r) => (r.head ?? r.base)?.output_source === 'none')) out.push('', 'Output tokens unknown for some rows (no usage logs or recorded responses): their cost is input only.');
  return out.join('\n');
}

function budgetTable(report: DiffReport): string {
  const out = ['#### Budget impact', '', '| Budget | Period | Amount | Projected (base → head) | Change | |', '|---|---|--:|--:|--:|---|'];
  for (const b of report.budgets) {
    const state = b.blocked ? '❌ blocks (enforce: block)' : b.exceeds ? '⚠️ over budget' : '✅ within';
    out.push(`| ${esc(b.budget)} | ${b.period} | ${formatUsd(b.amount)} | ${formatUsd(b.projected_base)} → ${formatUsd(b.projected_head)}${b.estimated ? '²' : ''} | ${b.delta >= 0 ? '+' : '−'}${formatUsd(Math.abs(b.delta))} | ${state} |`);
  }
  if (report.budgets.some((b) => b.estimated)) out.push('', '² no usage logs for the period: estimated from the changed prompts alone.');
  return out.join('\n');
}

function failingTests(tests: readonly TestChange[]): string {
  return tests.map((t) => `- ${t.kind === 'regression' ? '🔻 **regression**' : t.kind === 'added' ? '🆕' : '❌'} ${code(t.prompt)} › ${esc(t.test)} (${t.base ?? 'new'} → ${t.head}) ${code(`${t.file}${t.line ? `:${t.line}` : ''}`)}${t.reason ? `<br>${esc(clip(t.reason, 300))}` : ''}`).join('\n');
}

function unansweredTests(tests: readonly TestChange[]): string {
  return tests.map((t) => `- ⏭️ ${code(t.prompt)} › ${esc(t.test)} (${t.head}${t.skipped_assertions ? `, ${plural(t.skipped_assertions, 'output assertion')} skipped` : ''}) ${code(`${t.file}${t.line ? `:${t.line}` : ''}`)}`).join('\n');
}

function otherChanges(entities: readonly EntityChange[]): string {
  const lines: string[] = [];
  for (const e of entities) {
    const title = `- **${e.kind}** ${code(e.id)} ${e.change}${e.change === 'renamed' ? ` from ${code(e.base_id!)}` : ''} (${code(e.file)})`;
    lines.push(title);
    for (const f of e.fields.slice(0, 20)) lines.push(`  - ${code(f.path || e.kind)}: ${value(f.base)} → ${value(f.head)}`);
    if (e.fields.length > 20) lines.push(`  - … ${e.fields.length - 20} more fields`);
  }
  return lines.join('\n');
}

const value = (v: unknown) => (v === undefined ? '∅' : `\`${esc(clip(typeof v === 'string' ? v : JSON.stringify(v), 120)).replace(/`/g, "'")}\``);
const ratio = (c?: { passed: number; total: number; skipped: number }) => (c ? evalRatio(c) : '—');
const short = (sha?: string) => (sha ? sha.slice(0, 7) : '');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** An inline code span for ids and paths: backticks cannot close it, table pipes are escaped. */
const code = (s: string): string => `\`${s.replace(/`/g, "'").replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|')}\``;

/** Text from files and model output, made inert in markdown tables and HTML blocks. */
export const esc = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/[|<>]/g, (c) => ({ '|': '\\|', '<': '&lt;', '>': '&gt;' })[c]!);

function pair<T>(a: T | undefined, b: T | undefined, f: (x: T) => string): string {
  if (a === undefined && b === undefined) return '—';
  if (a === undefined) return `new: ${f(b!)}`;
  if (b === undefined) return `${f(a)} → removed`;
  return a === b ? f(a) : `${f(a)} → ${f(b)}`;
}

function pairNum(a: number | undefined, b: number | undefined, f: (x: number) => string): string {
  return pair(a, b, f);
}

function tokens(r: CostRow): string {
  const round = (n: number) => Math.round(n);
  const a = r.base ? round(r.base.input_tokens) : undefined;
  const b = r.head ? round(r.head.input_tokens) : undefined;
  const text = pair(a, b, (n) => n.toLocaleString('en-US'));
  return a !== undefined && b !== undefined && a !== b ? `${text} (${signed(b - a)})` : text;
}

function monthly(r: CostRow): string {
  if (r.monthly_calls === 0) return '—';
  const a = r.base?.monthly;
  const b = r.head?.monthly;
  const text = pairNum(a, b, formatUsd);
  return a !== undefined && b !== undefined && a !== b ? `${text} (${r.delta >= 0 ? '+' : '−'}${formatUsd(Math.abs(r.delta))})` : text;
}

function volumeSource(rows: readonly CostRow[]): string {
  const sources = new Set(rows.filter((r) => r.calls_source !== 'none').map((r) => r.calls_source));
  if (sources.size === 0) return 'unknown (no usage logs or traffic)';
  return [...sources].sort().reverse().map((s) => (s === 'usage' ? 'from usage logs (last 30 days)' : 'from features\' traffic')).join(' and ');
}

function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** A code fence longer than any backtick run inside, so prompt text cannot close it. */
function fence(lang: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}
