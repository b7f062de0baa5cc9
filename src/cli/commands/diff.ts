import { defineCommand } from 'citty';
import { plural } from '../../core/plural.js';
import { renderMarkdown } from '../../diff/markdown.js';
import { renderText } from '../../diff/text.js';
import { printDiagnostics } from '../_shared.js';
import { diffArgs, diffFromArgs, reportFailed, writeFile } from '../diff-shared.js';
import { EXIT, ExitError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    ...diffArgs,
    format: { type: 'enum', options: ['text', 'markdown', 'json', 'github'], description: 'Output: text (default), markdown (the PR comment), json, or github (text plus workflow annotations)' },
    json: { type: 'boolean', description: 'Same as --format json' },
    output: { type: 'string', description: 'Also write the report as JSON to this file (input of "promptops comment --from")', valueHint: 'file' },
    summary: { type: 'string', description: 'Also write the markdown comment to this file (e.g. $GITHUB_STEP_SUMMARY)', valueHint: 'file' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const format = args.json ? 'json' : ((args.format as string | undefined) ?? 'text');
    const quiet = format === 'json' || format === 'markdown';
    const c = colors(io);
    const { report, notes, headText } = await diffFromArgs(io, 'diff', args, quiet ? undefined : (m) => io.err(c.dim(m)));
    if (args.output) writeFile(io, args.output, `${JSON.stringify(report, null, 2)}\n`);
    if (args.summary) writeFile(io, args.summary, renderMarkdown(report, { notes }));
    if (format === 'json') io.out(JSON.stringify(report, null, 2));
    else if (format === 'markdown') io.out(renderMarkdown(report, { notes }));
    else {
      if (format === 'github') printDiagnostics(io, headText, report.diagnostics, 'github');
      printDiagnostics(io, headText, report.diagnostics, 'human');
      io.out(renderText(report, c));
      for (const note of notes) io.err(c.dim(note));
    }
    if (reportFailed(report)) throw new ExitError(EXIT.failed, quiet ? '' : `promptops diff: ${plural(report.diagnostics.filter((d) => d.severity === 'error').length, 'error')}; the check fails`);
  },
});
