import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { periodWindow, project } from '../src/spend/budgets.js';
import { minimalRepo, repo, run } from './helpers/repo.js';
import { jsonl, spendRepo, type Row } from './helpers/usage.js';

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A loopback server standing in for a webhook receiver and the GitHub REST API; records every request. */
async function captureServer(status = { hook: 200 }) {
  const requests: Captured[] = [];
  let issues = 6;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: text ? JSON.parse(text) : undefined });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/hook') {
        res.statusCode = status.hook;
        res.end('{}');
      } else if (req.method === 'POST' && req.url === '/repos/acme/app/issues') {
        res.statusCode = 201;
        res.end(JSON.stringify({ number: ++issues, html_url: `https://github.com/acme/app/issues/${issues}` }));
      } else if (req.method === 'POST' && /^\/repos\/acme\/app\/issues\/\d+\/comments$/.test(req.url!)) {
        res.statusCode = 201;
        res.end(JSON.stringify({ id: 1 }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ message: 'Not Found' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, status };
}

const BUDGET = `name: growth-monthly
display_name: Growth team, monthly
scope:
  team: [growth]
period: monthly
amount: 10
alerts:
  - { at: 0.5, severity: info }
  - { at: 0.8, severity: warning }
  - { at: 1.0, severity: critical }
notify:
  - type: webhook
    url_env: HOOK_URL
  - type: github-issue
    repo: acme/app
    labels: [budget]
`;

/** One greeter call (team growth from the feature file) per day with a provider-reported cost. */
const daily = (days: number, cost: number, from = 1): Row[] =>
  Array.from({ length: days }, (_, i) => ({
    timestamp: `2026-11-${String(from + i).padStart(2, '0')}T12:00:00Z`,
    request_id: `r-${from + i}-${cost}`,
    feature: 'greeter',
    provider: 'acme',
    model: 'beta',
    status: 'success',
    input_tokens: 100,
    output_tokens: 10,
    cost_usd: cost,
  }));

const daily30 = () => Array.from({ length: 30 }, (_, i) => ({ ...daily(1, 0.1, i + 1)[0]! }));

const budgetsJson = async (dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const r = await run(['spend', 'budgets', '--json', '--as-of', '2026-11-10', ...args], { cwd: dir, env });
  return { ...r, json: JSON.parse(r.stdout) };
};

describe('spend budgets', () => {
  it('computes the window, spend, burn rate, projection, exhaustion date and status', async () => {
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': BUDGET, 'usage/a.jsonl': jsonl(daily(10, 0.5)) });
    const { code, json } = await budgetsJson(dir);
    expect(code).toBe(0);
    const [b] = json.budgets;
    expect(b).toMatchObject({ name: 'growth-monthly', window: { first_day: '2026-11-01', last_day: '2026-11-30', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' }, spend_usd: 5, used: 0.5, status: 'on_track' });
    // 10 days elapsed at the end of Nov 10: $0.50/day; 20 days left: 5 + 0.5 × 20 = 15; $10 reached after 10 more days.
    expect(b.burn_rate_usd_per_day).toBeCloseTo(0.5, 9);
    expect(b.projected_usd).toBeCloseTo(15, 9);
    expect(b.exhaustion).toBe('2026-11-20');
    expect(b.crossed).toEqual([{ at: 0.5, severity: 'info' }]);
  });

  it('sets the status from the alert thresholds and fails with --fail-on', async () => {
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': BUDGET, 'usage/a.jsonl': jsonl(daily(10, 0.85)) });
    const warn = await budgetsJson(dir);
    expect(warn.json.budgets[0].status).toBe('warning');
    expect(warn.code).toBe(0);
    expect((await budgetsJson(dir, ['--fail-on', 'warning'])).code).toBe(1);
    expect((await budgetsJson(dir, ['--fail-on', 'critical'])).code).toBe(0);

    writeFileSync(join(dir, 'usage/a.jsonl'), jsonl(daily(10, 1.25)));
    const over = await budgetsJson(dir);
    expect(over.code).toBe(1);
    expect(over.json.budgets[0]).toMatchObject({ status: 'over_budget', exhaustion: '2026-11-08' });
    const human = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--fail-on', 'never'], { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/growth-monthly\s+monthly 2026-11-01…2026-11-30\s+\$12\.50\s+\$10\.00\s+125\.0%\s+\$1\.25\/d\s+\$37\.50\s+2026-11-08\s+over budget/);
  });

  it('sends each alert once per period and threshold, to a webhook and a GitHub issue', async () => {
    const server = await captureServer();
    const env = { HOOK_URL: `${server.url}/hook`, GITHUB_TOKEN: 'gh-test-token', GITHUB_API_URL: server.url };
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': BUDGET, 'usage/a.jsonl': jsonl(daily(10, 0.5)) });

    const dry = await run(['spend', 'budgets', '--as-of', '2026-11-10'], { cwd: dir, env });
    expect(dry.stdout).toContain('alert growth-monthly 50% info → webhook:HOOK_URL: not sent (run with --notify)');
    expect(server.requests).toHaveLength(0);

    const first = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /hook', 'POST /repos/acme/app/issues']);
    const [hook, issue] = server.requests;
    expect(hook!.body).toMatchObject({ budget: 'growth-monthly', threshold: { at: 0.5, severity: 'info' }, spend_usd: 5, amount_usd: 10, period: { kind: 'monthly', first_day: '2026-11-01', last_day: '2026-11-30', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' } });
    expect(hook!.body.text).toContain('for the monthly period 2026-11-01 to 2026-11-30');
    expect(hook!.body.text).toContain('Budget "Growth team, monthly" reached 50% of $10.00');
    expect(issue!.headers.authorization).toBe('token gh-test-token');
    expect(issue!.body).toMatchObject({ labels: ['budget'] });
    expect(issue!.body.title).toBe('Budget alert: Growth team, monthly (monthly from 2026-11-01)');
    expect(issue!.body.body).toContain('<!-- promptops:budget growth-monthly 2026-11-01 -->');
    expect(first.stdout).toContain('→ github-issue:acme/app: sent (opened #7)');
    // The URL holds a secret: only the variable name is ever printed.
    expect(first.stdout + first.stderr).not.toContain(server.url);

    const again = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(server.requests).toHaveLength(2);

    // A higher threshold in the same period: a new webhook call and a comment on the same issue.
    writeFileSync(join(dir, 'usage/a.jsonl'), jsonl(daily(10, 0.85)));
    const warning = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env });
    expect(warning.code).toBe(0);
    expect(server.requests.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual(['POST /hook', 'POST /repos/acme/app/issues/7/comments']);
    expect(server.requests[2]!.body.threshold).toEqual({ at: 0.8, severity: 'warning' });
  });

  it('skips a channel whose secret is missing and retries a failed one on the next run', async () => {
    const server = await captureServer({ hook: 500 });
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': BUDGET, 'usage/a.jsonl': jsonl(daily(10, 0.5)) });
    const skipped = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env: {} });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('webhook:HOOK_URL: skipped, HOOK_URL is not set');
    expect(skipped.stdout).toContain('github-issue:acme/app: skipped, GITHUB_TOKEN is not set');

    const env = { HOOK_URL: `${server.url}/hook` };
    const failed = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('webhook HOOK_URL answered HTTP 500');
    server.status.hook = 200;
    const retried = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--notify'], { cwd: dir, env });
    expect(retried.code).toBe(0);
    expect(server.requests.filter((r) => r.url === '/hook')).toHaveLength(2);
  });

  it('reads --as-of YYYY-MM-DD as the end of that day, in that day\'s period', async () => {
    const daily = BUDGET.replace('period: monthly', 'period: daily').replace('name: growth-monthly', 'name: growth-daily');
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': BUDGET, 'budgets/growth-daily.yaml': daily, 'usage/a.jsonl': jsonl(daily30()) });
    const r = await run(['spend', 'budgets', '--json', '--as-of', '2026-11-30'], { cwd: dir });
    const [d, m] = JSON.parse(r.stdout).budgets;
    expect(m).toMatchObject({ window: { first_day: '2026-11-01', last_day: '2026-11-30', end: '2026-12-01T00:00:00.000Z' }, spend_usd: 3 });
    expect(d).toMatchObject({ window: { first_day: '2026-11-30', last_day: '2026-11-30', start: '2026-11-30T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' }, spend_usd: 0.1 });
  });

  it('shows the window the same way in the table and in --json: first and last day inclusive, end instant exclusive', async () => {
    const weekly = BUDGET.replace('period: monthly', 'period: weekly').replace('name: growth-monthly', 'name: growth-weekly');
    const quarterly = BUDGET.replace('period: monthly', 'period: quarterly').replace('name: growth-monthly', 'name: growth-quarterly');
    const dir = spendRepo({ 'budgets/growth-weekly.yaml': weekly, 'budgets/growth-quarterly.yaml': quarterly, 'usage/a.jsonl': jsonl(daily30()) });
    const args = ['spend', 'budgets', '--as-of', '2026-11-19'];
    const json = JSON.parse((await run([...args, '--json'], { cwd: dir })).stdout) as { budgets: Array<{ name: string; window: Record<string, string> }> };
    const table = (await run(args, { cwd: dir })).stdout;
    // 2026-11-19 is a Thursday: its week runs Monday 16 to Sunday 22; its quarter October to December.
    const expected: Record<string, [string, string]> = { 'growth-weekly': ['2026-11-16', '2026-11-22'], 'growth-quarterly': ['2026-10-01', '2026-12-31'] };
    for (const b of json.budgets) {
      const [first, last] = expected[b.name]!;
      expect(b.window).toEqual({ first_day: first, last_day: last, start: `${first}T00:00:00.000Z`, end: new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000).toISOString() });
      // The last instant inside the window is on the last day shown.
      expect(new Date(Date.parse(b.window.end!) - 1).toISOString().slice(0, 10)).toBe(last);
      expect(table).toMatch(new RegExp(`${b.name}\\s+\\w+ ${first}…${last}\\s`));
    }
  });

  it('uses calendar windows in UTC (weeks start on Monday) and leaves budgets outside starts/ends inactive', async () => {
    const at = new Date('2026-11-19T15:00:00Z'); // a Thursday
    expect(periodWindow('weekly', at)).toEqual({ start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-11-23T00:00:00Z') });
    expect(periodWindow('quarterly', at)).toEqual({ start: new Date('2026-10-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') });
    expect(periodWindow('yearly', at).end).toEqual(new Date('2027-01-01T00:00:00Z'));
    expect(project(100, [], new Date('2026-11-01'), new Date('2026-12-01'), at, []).status).toBe('on_track');

    const dir = spendRepo({ 'budgets/growth-monthly.yaml': `${BUDGET}starts: 2026-12-01\n`, 'usage/a.jsonl': jsonl(daily(10, 5)) });
    const { code, json } = await budgetsJson(dir);
    expect(code).toBe(0);
    expect(json.budgets[0].status).toBe('inactive');
  });
});

describe('budget alerts written as percent', () => {
  const percent = BUDGET.replace('  - { at: 0.8, severity: warning }', '  - { at: 80, severity: warning }');

  it('validate fails at the file:line:col of `at` with a did-you-mean hint; 1 < at ≤ 2 stays legal', async () => {
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': percent });
    const r = await run(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    // Line 9 holds the alert; `at`'s value starts at column 9.
    const line = percent.split('\n').findIndex((l) => l.includes('at: 80')) + 1;
    const col = percent.split('\n')[line - 1]!.indexOf('80') + 1;
    expect(r.stdout + r.stderr).toContain(`budgets/growth-monthly.yaml:${line}:${col} error [alert-percent]`);
    expect(r.stdout + r.stderr).toContain('hint: did you mean "at: 0.8"?');

    const json = JSON.parse((await run(['validate', '--json'], { cwd: dir })).stdout);
    const diagnostics = (json.diagnostics ?? json.files?.flatMap((f: { diagnostics: unknown[] }) => f.diagnostics)) as Array<Record<string, unknown>>;
    expect(diagnostics.filter((d) => d.code === 'alert-percent')).toEqual([expect.objectContaining({ file: 'budgets/growth-monthly.yaml', line, col, severity: 'error' })]);

    writeFileSync(join(dir, 'budgets/growth-monthly.yaml'), BUDGET.replace('  - { at: 0.8, severity: warning }', '  - { at: 1.5, severity: warning }\n  - { at: 2, severity: critical }').replace('  - { at: 1.0, severity: critical }\n', ''));
    const legal = await run(['validate'], { cwd: dir });
    expect(legal.stdout + legal.stderr).not.toContain('alert-percent');
  });

  it('spend budgets refuses the budget file instead of reporting on track', async () => {
    // 92% of the amount spent: with `at: 0.8` this is a warning; with `at: 80` it was reported on track.
    const dir = spendRepo({ 'budgets/growth-monthly.yaml': percent, 'usage/a.jsonl': jsonl(daily(10, 0.92)) });
    for (const args of [['--fail-on', 'warning'], ['--fail-on', 'warning', '--json']]) {
      const r = await run(['spend', 'budgets', '--as-of', '2026-11-10', ...args], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).not.toContain('on_track');
      expect(r.stdout).not.toContain('on track');
      expect(r.stderr).toContain('budgets/growth-monthly.yaml:');
      expect(r.stderr).toContain('[alert-percent]');
      expect(r.stderr).toContain('fix the configuration before reading spend');
    }
    writeFileSync(join(dir, 'budgets/growth-monthly.yaml'), BUDGET);
    const fixed = await run(['spend', 'budgets', '--as-of', '2026-11-10', '--fail-on', 'warning', '--json'], { cwd: dir });
    expect(fixed.code).toBe(1);
    expect(JSON.parse(fixed.stdout).budgets[0].status).toBe('warning');
  });
});

describe('spend budgets --json says what the verdict did not see', () => {
  it('lists patterns that matched no file and rejected rows next to an on-track status', async () => {
    const dir = repo({
      ...minimalRepo(),
      'budgets/monthly.yaml': 'name: monthly\nperiod: monthly\namount: 1000\ncurrency: USD\nalerts:\n  - { at: 0.8, severity: warning }\n',
      'usage/a.jsonl': `${JSON.stringify({ timestamp: '2026-11-10T10:00:00Z', request_id: 'r1', feature: 'greeter', provider: 'openai', model: 'openai/gpt-6-luna', input_tokens: 10, output_tokens: 5, cost_usd: 1, status: 'success' })}\n{"broken": \n`,
    });
    const result = await run(['spend', 'budgets', '--json', '--as-of', '2026-11-20', '--usage', 'usage/*.jsonl,exports/missing-*.jsonl', '--fail-on', 'warning'], { cwd: dir });
    const out = JSON.parse(result.stdout);
    expect(out.budgets[0]).toMatchObject({ name: 'monthly', status: 'on_track' });
    expect(out.usage).toMatchObject({ files: ['usage/a.jsonl'], rows: 2, calls: 1, rejected_rows: 1, unmatched_patterns: ['exports/missing-*.jsonl'] });
    expect(result.code).toBe(0);
  });
});
