import { evalRatio, type DiffReport } from '../core/diff/report.js';
import { formatUsd } from '../core/money.js';
import { redact } from '../core/redact.js';
import type { Colors } from '../cli/io.js';
import { textTable } from '../cli/table.js';

const usdDelta = (n: number) => `${n >= 0 ? '+' : '-'}${formatUsd(Math.abs(n))}`;

/** Terminal rendering of a diff report (diagnostics are printed separately, with code frames). */
export function renderText(report: DiffReport, c: Colors, options: { diffs?: boolean } = {}): string {
  const out: string[] = [c.bold(report.headline), c.dim(`base ${report.base.commit?.slice(0, 7) ?? ''} (${report.base.ref}) → head ${report.head.commit?.slice(0, 7) ?? ''} (${report.head.ref}); evals in ${report.environment}`)];
  if (!report.base.exists) out.push(c.dim('the base commit has no promptops repository: everything is new'));
  const evals = new Map(report.evals?.prompts.map((p) => [p.prompt, p]) ?? []);
  for (const p of report.prompts) {
    const e = evals.get(p.id);
    const ratio = (x?: { passed: number; total: number; skipped: number }) => (x ? evalRatio(x) : '-');
    const version = p.version.base === p.version.head ? `v${p.version.head}` : `v${p.version.base ?? '-'} → v${p.version.head ?? '-'}`;
    out.push('', `${c.bold(p.id)}  ${p.change}${p.base_id ? ` from ${p.base_id}` : ''}  ${version}${e ? `  evals ${ratio(e.base)} → ${ratio(e.head)}` : ''}${p.params.length ? `  params: ${p.params.map((f) => f.path).join(', ')}` : ''}`);
    const rows = report.cost.rows.filter((r) => r.prompt === p.id);
    if (rows.length) {
      out.push(textTable(
        ['feature', 'env', 'model', 'tokens/call', 'cost/call', 'calls/mo', 'monthly', 'change'],
        rows.map((r) => [
          r.feature,
          r.environment,
          r.base && r.head && r.base.model !== r.head.model ? `${r.base.model} → ${r.head.model}` : (r.head ?? r.base)!.model,
          `${r.base ? Math.round(r.base.input_tokens) : '-'} → ${r.head ? Math.round(r.head.input_tokens) : '-'}`,
          `${r.base?.cost_per_call !== undefined ? formatUsd(r.base.cost_per_call) : '-'} → ${r.head?.cost_per_call !== undefined ? formatUsd(r.head.cost_per_call) : '-'}`,
          `${Math.round(r.monthly_calls).toLocaleString('en-US')}${r.calls_source === 'traffic' ? '*' : ''}`,
          r.head?.monthly !== undefined ? formatUsd(r.head.monthly) : '-',
          usdDelta(r.delta),
        ]),
        c.dim,
        3,
      ));
    }
    if (options.diffs !== false && p.diff) out.push(colorDiff(p.diff, c));
  }
  if (report.cost.rows.length) out.push('', `monthly cost of the changed prompts: ${formatUsd(report.cost.base)} → ${formatUsd(report.cost.head)} (${usdDelta(report.cost.delta)}${report.cost.pct !== null ? `, ${report.cost.pct >= 0 ? '+' : ''}${report.cost.pct.toFixed(1)}%` : ''})${report.cost.rows.some((r) => r.calls_source === 'traffic') ? c.dim('  * calls from the feature\'s traffic') : ''}`);
  if (report.budgets.length) {
    out.push('', c.bold('budget impact'), textTable(
      ['budget', 'period', 'amount', 'projected base', 'projected head', 'change', 'status'],
      report.budgets.map((b) => [b.budget, b.period, formatUsd(b.amount), formatUsd(b.projected_base), formatUsd(b.projected_head), usdDelta(b.delta), b.blocked ? c.red('blocks') : b.exceeds ? c.yellow('over') : 'within']),
      c.dim,
      2,
    ));
  }
  const tests = report.evals?.tests.filter((t) => t.kind !== 'unchanged') ?? [];
  if (tests.length) {
    out.push('', c.bold('tests'));
    for (const t of tests) {
      const mark = t.kind === 'regression' ? c.red('regression') : t.kind === 'fixed' ? c.green('fixed') : t.kind === 'still-failing' ? c.red('failing') : c.dim(t.kind);
      out.push(`  ${mark.padEnd(12)} ${t.prompt} › ${t.test}  ${c.dim(`${t.base ?? '-'} → ${t.head ?? '-'}  ${t.file}${t.line ? `:${t.line}` : ''}`)}${t.reason ? `\n      ${t.reason}` : ''}`);
    }
  }
  const other = report.entities.filter((e) => e.kind !== 'prompt');
  if (other.length) {
    out.push('', c.bold('other changes'));
    for (const e of other) {
      out.push(`  ${e.kind} ${e.id} ${e.change}${e.base_id ? ` from ${e.base_id}` : ''}`);
      for (const f of e.fields.slice(0, 20)) out.push(c.dim(`    ${f.path || e.kind}: ${JSON.stringify(f.base) ?? '-'} → ${JSON.stringify(f.head) ?? '-'}`));
    }
  }
  // Rendered prompts may quote a URL with its password: the same redaction as every message.
  return redact(out.join('\n'));
}

function colorDiff(diff: string, c: Colors): string {
  return diff
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? c.green(line) : line.startsWith('-') && !line.startsWith('---') ? c.red(line) : line.startsWith('@@') ? c.cyan(line) : c.dim(line)))
    .map((line) => `    ${line}`)
    .join('\n');
}

