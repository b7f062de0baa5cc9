import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { windowJson, type BudgetAlert, type BudgetStatus } from './budgets.js';

/**
 * Budget alerts go out once per budget, period and threshold: what was sent is kept in a state
 * file (commit it, or cache it between CI runs). A channel that fails is not marked as sent and
 * is tried again on the next run; the others are not repeated.
 */
export interface AlertState {
  version: 1;
  /** `<budget>|<period start>|<threshold>` → channel id → when it was sent. */
  sent: Record<string, Record<string, string>>;
  /** `<budget>|<period start>|<repo>` → GitHub issue number, so later thresholds comment on it. */
  issues: Record<string, number>;
}

export function readAlertState(path: string): AlertState {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as AlertState;
    if (state.version === 1 && state.sent && state.issues) return state;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read alert state ${path}: ${(error as Error).message}`);
  }
  return { version: 1, sent: {}, issues: {} };
}

export function writeAlertState(path: string, state: AlertState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}

export interface Delivery {
  budget: string;
  alert: BudgetAlert;
  channel: string;
  outcome: 'sent' | 'already-sent' | 'skipped' | 'failed' | 'pending';
  detail?: string;
}

export interface GithubIssues {
  create(params: { owner: string; repo: string; title: string; body: string; labels?: string[] }): Promise<number>;
  comment(params: { owner: string; repo: string; issue: number; body: string }): Promise<void>;
}

export interface NotifyOptions {
  statuses: readonly BudgetStatus[];
  state: AlertState;
  env: NodeJS.ProcessEnv;
  /** False: report what would be sent without sending. */
  send: boolean;
  /** GitHub client (built from GITHUB_TOKEN when absent and needed). */
  github?: GithubIssues;
  fetch?: typeof fetch;
}

const stateKey = (s: BudgetStatus, a: BudgetAlert) => `${s.name}|${s.start}|${a.at}`;

export async function notifyBudgets(options: NotifyOptions): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const fetchImpl = options.fetch ?? fetch;
  for (const status of options.statuses) {
    for (const alert of status.crossed) {
      const key = stateKey(status, alert);
      for (const channel of status.notify) {
        const id = channel.type === 'webhook' ? `webhook:${channel.url_env}` : `github-issue:${channel.repo ?? options.env.GITHUB_REPOSITORY ?? ''}`;
        const record = { budget: status.name, alert, channel: id };
        if (options.state.sent[key]?.[id]) {
          deliveries.push({ ...record, outcome: 'already-sent', detail: options.state.sent[key][id] });
          continue;
        }
        if (!options.send) {
          deliveries.push({ ...record, outcome: 'pending' });
          continue;
        }
        try {
          const detail =
            channel.type === 'webhook'
              ? await sendWebhook(fetchImpl, options.env, channel.url_env, status, alert)
              : await sendIssue(options, channel.repo ?? options.env.GITHUB_REPOSITORY, channel.labels, status, alert);
          if (detail.skipped) {
            deliveries.push({ ...record, outcome: 'skipped', detail: detail.skipped });
            continue;
          }
          (options.state.sent[key] ??= {})[id] = new Date().toISOString();
          deliveries.push({ ...record, outcome: 'sent', detail: detail.sent });
        } catch (error) {
          deliveries.push({ ...record, outcome: 'failed', detail: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }
  return deliveries;
}

type Outcome = { sent?: string; skipped?: string };

export function alertText(s: BudgetStatus, a: BudgetAlert): string {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return (
    `Budget "${s.displayName}" reached ${pct(s.used)} of ${usd(s.amount)} for the ${s.period} period ${s.start} to ${s.lastDay} ` +
    `(${a.severity} threshold ${pct(a.at)}): spent ${usd(s.spend)}, burn ${usd(s.burnRate)}/day, projected ${usd(s.projected)}` +
    (s.exhaustion ? `, exhausted ${s.spend >= s.amount ? 'on' : 'by'} ${s.exhaustion}` : '') +
    '.'
  );
}

async function sendWebhook(fetchImpl: typeof fetch, env: NodeJS.ProcessEnv, urlEnv: string, s: BudgetStatus, a: BudgetAlert): Promise<Outcome> {
  const url = env[urlEnv];
  // The URL usually embeds a secret: it is never printed, only the variable's name.
  if (!url) return { skipped: `${urlEnv} is not set` };
  const payload = {
    text: alertText(s, a),
    budget: s.name,
    period: { kind: s.period, ...windowJson(s) },
    threshold: a,
    status: s.status,
    spend_usd: round(s.spend),
    amount_usd: s.amount,
    projected_usd: round(s.projected),
    burn_rate_usd_per_day: round(s.burnRate),
    exhaustion: s.exhaustion,
  };
  const response = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'promptops' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(15_000) });
  if (!response.ok) throw new Error(`webhook ${urlEnv} answered HTTP ${response.status}`);
  return { sent: `HTTP ${response.status}` };
}

async function sendIssue(options: NotifyOptions, repoName: string | undefined, labels: string[] | undefined, s: BudgetStatus, a: BudgetAlert): Promise<Outcome> {
  if (!repoName) return { skipped: 'no repository: set notify.repo or GITHUB_REPOSITORY' };
  const [owner, repo] = repoName.split('/') as [string, string];
  const github = options.github ?? (options.env.GITHUB_TOKEN ? await octokitIssues(options.env) : undefined);
  if (!github) return { skipped: 'GITHUB_TOKEN is not set' };
  const issueKey = `${s.name}|${s.start}|${repoName}`;
  const body = `${alertText(s, a)}\n\nBudget file: \`${s.file}\`.\n\n<!-- promptops:budget ${s.name} ${s.start} -->`;
  const existing = options.state.issues[issueKey];
  if (existing) {
    await github.comment({ owner, repo, issue: existing, body });
    return { sent: `commented on #${existing}` };
  }
  const number = await github.create({ owner, repo, title: `Budget alert: ${s.displayName} (${s.period} from ${s.start})`, body, labels });
  options.state.issues[issueKey] = number;
  return { sent: `opened #${number}` };
}

async function octokitIssues(env: NodeJS.ProcessEnv): Promise<GithubIssues> {
  const { Octokit } = await import('@octokit/rest');
  const octokit = new Octokit({ auth: env.GITHUB_TOKEN, baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com', userAgent: 'promptops', request: { retries: 0 } });
  return {
    async create({ owner, repo, title, body, labels }) {
      const { data } = await octokit.rest.issues.create({ owner, repo, title, body, labels });
      return data.number;
    },
    async comment({ owner, repo, issue, body }) {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body });
    },
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
