import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { todayUtc } from '../core/catalog/catalog.js';
import { CONFIG_FILE } from '../core/defaults.js';
import type { BudgetActual } from '../core/diff/budgets.js';
import { evalKey, type Volume } from '../core/diff/cost.js';
import { reconcileSides } from '../core/diff/config-sides.js';
import { LINK_CODES } from '../core/repository-path.js';
import { diffEntities } from '../core/diff/entities.js';
import { promptChanges } from '../core/diff/prompts.js';
import { buildDiffReport, type DiffReport, type Thresholds } from '../core/diff/report.js';
import { evalFingerprint } from '../core/fingerprint.js';
import { plural } from '../core/plural.js';
import { loadRepository, type Repository } from '../core/repository.js';
import type { TestOutcome } from '../core/schemas/eval-results.js';
import type { CacheMode } from '../eval/client.js';
import { evaluate, resolveCacheDir, type ProviderChoice } from '../eval/evaluate.js';
import { resolveBase } from '../git/base.js';
import { snapshotRef, type Snapshot } from '../git/snapshot.js';
import { sourceInfo } from '../git/source.js';
import { budgetStatuses } from '../spend/budgets.js';
import { NoUsageFilesError, openSpend } from '../spend/session.js';
import { usageVolumes } from '../spend/volume.js';
import { PROVIDER_DOWN_KINDS } from '../eval/types.js';

export interface RunDiffOptions {
  root: string;
  /** Base ref (default: merge-base with the default branch). */
  base?: string;
  /** Head ref (default: the working tree, uncommitted changes included). */
  head?: string;
  /** Environment the evals run in (default: the last one, usually production). */
  environment?: string;
  /** Run the changed prompts' tests at base and head (default true). */
  eval?: boolean;
  mode?: CacheMode;
  provider?: ProviderChoice;
  concurrency?: number;
  /** Usage log paths (default: `usage.paths`); `false` skips usage logs (volumes come from `traffic`). */
  usage?: readonly string[] | false;
  thresholds?: Thresholds;
  env?: Record<string, string | undefined>;
  /** Price date (default today, UTC). */
  date?: string;
  onProgress?: (message: string) => void;
}

export interface DiffRun {
  report: DiffReport;
  /** Usage-log caveats worth showing (no logs, rejected rows). */
  notes: string[];
  /** The head's text of a repository file, for code frames (`--head <ref>` is not the working tree). */
  headText: (file: string) => string | undefined;
}

/** Loads base and head without touching the working tree, runs evals and usage queries, and builds the report. */
export async function runDiff(options: RunDiffOptions): Promise<DiffRun> {
  const env = options.env ?? process.env;
  const headRef = options.head ?? 'HEAD';
  const base = await resolveBase({ root: options.root, base: options.base, head: headRef, env });
  const snapshots: Snapshot[] = [];
  const notes: string[] = [];
  try {
    const baseSnap = await snapshotRef({ root: options.root, ref: base.commit });
    snapshots.push(baseSnap);
    const baseExists = existsSync(join(baseSnap.root, CONFIG_FILE)) || ['prompts', 'features'].some((d) => existsSync(join(baseSnap.root, d)));
    if (!existsSync(baseSnap.root)) mkdirSync(baseSnap.root, { recursive: true });
    let headRoot = options.root;
    let headCommit: string | undefined;
    if (options.head !== undefined) {
      const headSnap = await snapshotRef({ root: options.root, ref: options.head });
      snapshots.push(headSnap);
      headRoot = headSnap.root;
      headCommit = headSnap.commit;
    } else {
      const info = await sourceInfo(options.root);
      headCommit = info.commit;
      if (info.dirty) notes.push('head is the working tree, including uncommitted changes');
    }
    const headLoad = loadRepository({ root: headRoot });
    const sides = reconcileSides(loadRepository({ root: baseSnap.root }), headLoad, baseExists);
    const { base: baseRepo, head: headRepo } = sides;
    const environments = Object.keys(headRepo.config.environments);
    const environment = options.environment ?? environments.at(-1)!;
    if (!headRepo.config.environments[environment]) throw new DiffUsageError(`unknown environment "${environment}" (environments: ${environments.join(', ')})`);
    const date = options.date ?? todayUtc();

    const assignmentChanged = [...headRepo.prompts.keys()].filter((id) => baseRepo.prompts.has(id) && environments.some((e) => evalFingerprint(baseRepo, id, e) !== evalFingerprint(headRepo, id, e)));
    const changed = promptChanges(baseRepo, headRepo, diffEntities(baseRepo, headRepo), assignmentChanged, environment);

    let evals: { base: TestOutcome[]; head: TestOutcome[] } | undefined;
    if (options.eval !== false) {
      const cacheDir = resolveCacheDir({ ...headRepo, root: options.root } as Repository);
      const run = async (repo: Repository, prompts: string[], side: string) => {
        const results: TestOutcome[] = [];
        const ids = prompts.filter((id) => repo.prompts.get(id)?.valid);
        if (ids.length === 0) return results;
        options.onProgress?.(`evaluating ${plural(ids.length, 'prompt')} at ${side}`);
        await evaluate({ repo, environment: repo.config.environments[environment] ? environment : Object.keys(repo.config.environments).at(-1)!, prompts: ids, mode: options.mode, provider: options.provider, concurrency: options.concurrency, env, cacheDir, date, onResult: (r) => void results.push(r) });
        // A provider that is down or unusable (no key, 401) makes the comparison meaningless (exit 3);
        // a rubric the offline provider cannot grade is just an errored test (`grader-offline`).
        const unusable = results.filter((r) => r.error !== undefined && PROVIDER_DOWN_KINDS.includes(r.error.kind));
        if (unusable.length > 0) throw new ProviderUnreachableError(side, unusable.length, unusable[0]!.error!.message);
        return results;
      };
      evals = {
        base: baseExists ? await run(baseRepo, changed.filter((p) => p.change !== 'added').map((p) => p.base_id ?? p.id), 'base') : [],
        head: await run(headRepo, changed.filter((p) => p.change !== 'removed').map((p) => p.id), 'head'),
      };
    }

    // Usage logs are data beside the repository, not part of a commit: read them from the real root even for --head.
    const usage = options.usage === false ? undefined : await measureUsage({ ...headRepo, root: options.root }, options.usage, notes);
    const report = buildDiffReport({
      base: baseRepo, head: headRepo, baseSide: { ref: base.description, commit: base.commit, exists: baseExists }, headSide: { ref: options.head ?? 'working tree', commit: headCommit, exists: true }, environment, assignmentChanged, date,
      evals,
      evalOutput: evals && { base: meanOutput(evals.base), head: meanOutput(evals.head) },
      volumes: usage?.volumes,
      actuals: usage?.actuals,
      thresholds: options.thresholds,
    });
    // A head file not read because it is a link out of the repository is not a removed file: it fails the check, at the link.
    report.diagnostics.unshift(...sides.diagnostics, ...headLoad.diagnostics.filter((d) => LINK_CODES.has(d.code)));
    if (notes.length) report.notes = notes;
    return { report, notes, headText: headRepo.text };
  } finally {
    for (const s of snapshots) s.dispose();
  }
}

/** A bad option (unknown environment): exit 2. */
export class DiffUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffUsageError';
  }
}

export class ProviderUnreachableError extends Error {
  constructor(side: string, readonly count: number, first: string) {
    super(`${plural(count, 'test')} at ${side} could not use ${count === 1 ? 'its' : 'their'} provider (${first})`);
    this.name = 'ProviderUnreachableError';
  }
}

/** Mean output tokens per prompt and model from real (live or recorded) responses; offline answers say nothing about real output length. */
function meanOutput(results: readonly TestOutcome[]): Map<string, number> {
  const sums = new Map<string, [number, number]>();
  for (const r of results) {
    if (r.source === 'offline' || r.tokens?.output === undefined || !r.model) continue;
    const key = evalKey(r.prompt, r.model);
    const s = sums.get(key) ?? [0, 0];
    sums.set(key, [s[0] + r.tokens.output, s[1] + 1]);
  }
  return new Map([...sums].map(([k, [total, n]]) => [k, total / n]));
}

async function measureUsage(repo: Repository, paths: readonly string[] | undefined, notes: string[]): Promise<{ volumes: Map<string, Volume>; actuals: Map<string, BudgetActual> } | undefined> {
  if (!paths && !repo.config.usage?.paths?.length) {
    notes.push('no usage logs configured (usage.paths): monthly volumes come from the features\' traffic');
    return undefined;
  }
  let session;
  try {
    session = await openSpend({ repo, paths, keys: ['feature', 'prompt_id', 'environment', 'team'] });
  } catch (error) {
    if (!(error instanceof NoUsageFilesError)) throw error;
    notes.push(`${error.message}: monthly volumes come from the features' traffic`);
    return undefined;
  }
  try {
    if (session.stats.rejectedRows) notes.push(`${session.stats.rejectedRows} usage log rows were rejected and not counted (see "promptops spend report")`);
    const last = session.stats.lastCall;
    if (!last) return undefined;
    const asOf = new Date(last.getTime() + 1);
    const { volumes, from, to } = await usageVolumes(session.db, { asOf: last });
    notes.push(`monthly volume: calls from usage logs ${from} … ${to}`);
    const budgets = [...repo.budgets.values()].filter((b) => b.valid);
    const actuals = new Map<string, BudgetActual>();
    for (const s of await budgetStatuses(session.db, { budgets, asOf })) {
      if (s.status !== 'inactive') actuals.set(s.name, { spend: s.spend, projected: s.projected, start: s.start, end: s.end });
    }
    return { volumes, actuals };
  } finally {
    session.close();
  }
}
