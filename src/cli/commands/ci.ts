import { defineCommand } from 'citty';
import { validateRepository } from '../../core/check/index.js';
import { plural } from '../../core/plural.js';
import { renderText } from '../../diff/text.js';
import { printDiagnostics, summary } from '../_shared.js';
import { commentArgs, postReport } from '../comment-shared.js';
import { diffArgs, diffFromArgs, reportFailed, writeFile } from '../diff-shared.js';
import { renderMarkdown } from '../../diff/markdown.js';
import { resolveRoot } from '../_shared.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    ...diffArgs,
    ...commentArgs,
    comment: { type: 'boolean', description: 'Post the PR comment when running for a pull request (--no-comment: never)', default: true },
    format: { type: 'enum', options: ['human', 'github'], description: 'human, or github: also emit workflow annotations at file:line' },
    output: { type: 'string', description: 'Write the diff report as JSON (for "promptops comment --from" in a workflow_run job)', valueHint: 'file' },
    summary: { type: 'string', description: 'Write the markdown comment to this file (e.g. $GITHUB_STEP_SUMMARY)', valueHint: 'file' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const runAt = new Date().toISOString();
    const root = resolveRoot(io, args.root);
    const c = colors(io);
    if (args.head !== undefined) throw usageError('promptops ci: checks the working tree (the checked-out head); for another ref use "promptops diff --head <ref>"');
    const github = args.format === 'github' || (args.format === undefined && io.env.GITHUB_ACTIONS === 'true');

    const { repo, diagnostics } = validateRepository({ root });
    if (github) printDiagnostics(io, repo.text, diagnostics, 'github');
    printDiagnostics(io, repo.text, diagnostics, 'human');
    io.err(`validate: ${summary(io, diagnostics)}`);
    const invalid = diagnostics.some((d) => d.severity === 'error');

    const { report, notes } = await diffFromArgs(io, 'ci', args, (m) => io.err(c.dim(m)));
    // Invalid files are reported by validate; the diff of what did load still goes in the comment.
    report.diagnostics.unshift(...diagnostics.filter((d) => d.severity === 'error' && !report.diagnostics.some((p) => p.file === d.file && p.line === d.line)));
    if (github) printDiagnostics(io, repo.text, report.diagnostics.filter((d) => !diagnostics.includes(d)), 'github');
    printDiagnostics(io, repo.text, report.diagnostics.filter((d) => !diagnostics.includes(d)), 'human');
    io.out(renderText(report, c));
    for (const note of notes) io.err(c.dim(note));
    if (args.output) writeFile(io, args.output, `${JSON.stringify(report, null, 2)}\n`);
    if (args.summary) writeFile(io, args.summary, renderMarkdown(report, { notes }));

    let posted = true;
    if (args.comment !== false) {
      try {
        await postReport(io, 'ci', report, { args, repo, notes, required: false, runAt });
      } catch (error) {
        if (!(error instanceof ExitError && error.code === EXIT.infra)) throw error;
        io.err(error.message);
        posted = false;
      }
    }
    const failed = invalid || reportFailed(report);
    io.err(failed ? c.red(`✖ promptops ci: ${plural(report.diagnostics.filter((d) => d.severity === 'error').length, 'error')}; the check fails`) : c.green('✔ promptops ci: passed'));
    // Like eval and spend budgets: an infrastructure failure (3) outranks a failed check (1).
    if (!posted) throw new ExitError(EXIT.infra);
    if (failed) throw new ExitError(EXIT.failed);
  },
});
