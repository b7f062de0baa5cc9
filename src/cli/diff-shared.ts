import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ArgsDef } from 'citty';
import { hasErrors } from '../core/diagnostics.js';
import type { DiffReport } from '../core/diff/report.js';
import type { CacheMode } from '../eval/client.js';
import type { ProviderChoice } from '../eval/evaluate.js';
import { DiffUsageError, ProviderUnreachableError, runDiff, type DiffRun } from '../diff/run.js';
import { eventPullRequest } from '../github/context.js';
import { GitRefError } from '../git/snapshot.js';
import { DbError } from '../spend/duckdb.js';
import { commonArgs, resolveRoot } from './_shared.js';
import { EXIT, ExitError, usageError } from './errors.js';
import type { Io } from './io.js';
import { listArg } from './spend-shared.js';
import { PathEscapeError } from '../core/path-inside.js';

/** Flags of every command that computes a diff (`diff`, `comment`, `ci`). */
export const diffArgs = {
  base: { type: 'string', description: 'Base ref (default: merge-base with the default branch, or the PR target in GitHub Actions)', valueHint: 'ref' },
  head: { type: 'string', description: 'Head ref (default: the working tree, uncommitted changes included)', valueHint: 'ref' },
  env: { type: 'string', description: 'Environment the evals run in (default: the last one, usually production)', valueHint: 'name' },
  eval: { type: 'boolean', description: 'Run the changed prompts\' tests at base and head (--no-eval: skip)', default: true },
  replay: { type: 'boolean', description: 'Answer evals only from recorded responses (reproducible and free in CI)' },
  provider: { type: 'enum', options: ['auto', 'live', 'offline'], description: 'Eval provider (default from promptops.config.yaml)' },
  usage: { type: 'string', description: 'Usage log files or globs for monthly volumes (default: usage.paths)', valueHint: 'paths' },
  'no-usage': { type: 'boolean', description: 'Ignore usage logs; volumes come from the features\' traffic' },
  root: commonArgs.root,
} satisfies ArgsDef;

type DiffArgs = { [K in keyof typeof diffArgs]?: string | boolean };

/** Runs the diff for a command, mapping failures to exit codes: bad refs → 2, provider/usage failures → 3. */
export async function diffFromArgs(io: Io, command: string, args: DiffArgs, onProgress?: (m: string) => void): Promise<DiffRun> {
  const root = resolveRoot(io, args.root as string | undefined);
  const mode: CacheMode = args.replay ? 'replay' : 'cache';
  try {
    const result = await runDiff({
      root,
      base: args.base as string | undefined,
      head: args.head as string | undefined,
      environment: args.env as string | undefined,
      eval: args.eval !== false,
      mode,
      provider: args.provider as ProviderChoice | undefined,
      // citty reads --no-usage as usage=false.
      usage: args['no-usage'] || args.usage === false ? false : listArg(args.usage as string | undefined),
      env: io.env,
      onProgress,
    });
    const pull = eventPullRequest(io.env);
    if (pull) result.report.github = pull;
    return result;
  } catch (error) {
    if (error instanceof GitRefError || error instanceof DiffUsageError) throw usageError(`promptops ${command}: ${error.message}`);
    if (error instanceof PathEscapeError) throw new ExitError(EXIT.failed, `promptops ${command}: eval.cache_dir of the head's promptops.config.yaml: ${error.message} (path-outside-repository)`);
    if (error instanceof ProviderUnreachableError || error instanceof DbError) throw new ExitError(EXIT.infra, `promptops ${command}: ${error.message}`);
    throw error;
  }
}

export const reportFailed = (report: DiffReport): boolean => hasErrors(report.diagnostics);

export function writeFile(io: Io, file: string, text: string): void {
  const path = resolve(io.cwd, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
