import { defineCommand } from 'citty';
import { hasErrors } from '../../core/diagnostics.js';
import { validateRepository } from '../../core/check/index.js';
import { commonArgs, outputFormat, printDiagnostics, resolveRoot, summary } from '../_shared.js';
import { EXIT, ExitError } from '../errors.js';
import type { Io } from '../io.js';
import { plural } from '../../core/plural.js';

export default defineCommand({
  args: {
    ...commonArgs,
    strict: { type: 'boolean', description: 'Treat warnings as errors' },
  },
  run({ args, data }) {
    const io = data as Io;
    const root = resolveRoot(io, args.root);
    const format = outputFormat(args);
    const started = performance.now();
    const { diagnostics, counts } = validateRepository({ root });
    const ms = Math.round(performance.now() - started);
    printDiagnostics(io, root, diagnostics, format, { counts });
    if (format === 'human') {
      const files = [plural(counts.prompts, 'prompt'), plural(counts.partials, 'partial'), plural(counts.features, 'feature'), plural(counts.budgets, 'budget'), plural(counts.experiments, 'experiment')].join(', ');
      io.out(`${summary(io, diagnostics)} — ${files} (${ms} ms)`);
    }
    const failed = hasErrors(diagnostics) || (args.strict && diagnostics.some((d) => d.severity === 'warning'));
    if (failed) throw new ExitError(EXIT.failed);
  },
});
