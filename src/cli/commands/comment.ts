import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { DIFF_SCHEMA_VERSION, type DiffReport } from '../../core/diff/report.js';
import { loadRepository } from '../../core/repository.js';
import { compileValidator } from '../../core/schemas/compile-validator.js';
import { resolveRoot } from '../_shared.js';
import { commentArgs, postReport } from '../comment-shared.js';
import { diffArgs, diffFromArgs } from '../diff-shared.js';
import { usageError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    from: { type: 'string', description: 'Post a report written by "promptops diff --output" instead of computing the diff (the workflow_run half of a fork-safe setup)', valueHint: 'file' },
    ...commentArgs,
    ...diffArgs,
  },
  async run({ args, data }) {
    const io = data as Io;
    const runAt = new Date().toISOString();
    const c = colors(io);
    let report: DiffReport;
    let notes: readonly string[] = [];
    if (args.from) report = readReport(io, args.from);
    else ({ report, notes } = await diffFromArgs(io, 'comment', args, (m) => io.err(c.dim(m))));
    const root = resolveRoot(io, args.root);
    const repo = existsSync(root) ? loadRepository({ root }).value : undefined;
    await postReport(io, 'comment', report, { args, repo, notes, required: true, runAt });
  },
});

function readReport(io: Io, file: string): DiffReport {
  const path = resolve(io.cwd, file);
  let report: DiffReport;
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as DiffReport;
  } catch (error) {
    throw usageError(`promptops comment: cannot read the report ${file}: ${(error as Error).message}`);
  }
  if (report?.kind !== 'promptops/diff') throw usageError(`promptops comment: ${file} is not a promptops diff report (write one with "promptops diff --output ${file}")`);
  const version: unknown = report.schema_version;
  if (version !== DIFF_SCHEMA_VERSION) {
    const got = version === undefined ? 'no schema_version' : `schema_version ${JSON.stringify(version)}`;
    throw usageError(`promptops comment: ${file} has ${got} but this promptops reads schema_version ${DIFF_SCHEMA_VERSION}; the report must be produced by the same promptops version (use one version for "promptops diff --output" and "promptops comment --from")`);
  }
  // In the fork-safe setup the report comes from a run of the pull request's code: everything the
  // comment shows must at least have the shape promptops writes.
  const validate = compileValidator('diff-report');
  if (!validate(report)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw usageError(`promptops comment: ${file} does not follow schemas/diff-report.schema.json: ${problems.join('; ')}`);
  }
  return report;
}
