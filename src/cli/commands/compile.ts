import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { validateRepository } from '../../core/check/index.js';
import { buildManifest, compileBundle } from '../../core/compile.js';
import { hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { pathInside, PathEscapeError } from '../../core/path-inside.js';
import { sourceInfo } from '../../git/source.js';
import { commonArgs, outputFormat, printDiagnostics, resolveRoot, summary } from '../_shared.js';
import { checkEnvironments } from '../environments.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    ...commonArgs,
    env: { type: 'string', description: 'Environment to compile (default: every environment)', valueHint: 'name' },
    out: { type: 'string', description: 'Directory to write <env>.bundle.json and <env>.manifest.json to', valueHint: 'dir' },
    print: { type: 'boolean', description: 'Print the canonical bundle JSON of --env to stdout' },
    verbose: { type: 'boolean', description: 'Also list informational notes (prompts left out of a bundle by status)' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const root = resolveRoot(io, args.root);
    const format = outputFormat(args);
    const { repo, diagnostics } = validateRepository({ root });
    const environments = args.env ? [args.env] : Object.keys(repo.config.environments);
    if (args.env) await checkEnvironments('compile', repo, [args.env]);
    if (args.print && environments.length !== 1) throw usageError('promptops compile: --print needs a single --env');
    if (hasErrors(diagnostics)) {
      printDiagnostics(io, root, diagnostics, format);
      throw new ExitError(EXIT.failed, format === 'human' ? `${summary(io, diagnostics)}: fix the errors above before compiling` : '');
    }

    const source = await sourceInfo(root);
    const all: Diagnostic[] = [...diagnostics];
    const results = [];
    for (const environment of environments) {
      const compiled = compileBundle({ repo, environment }).value!;
      all.push(...compiled.diagnostics);
      const manifest = buildManifest(compiled, source);
      if (args.out) {
        const dir = resolve(io.cwd, args.out);
        mkdirSync(dir, { recursive: true });
        // Validation refuses such environment names; the check here is what makes a write outside --out impossible.
        writeFileSync(outFile(dir, `${environment}.bundle.json`), compiled.canonical);
        writeFileSync(outFile(dir, `${environment}.manifest.json`), `${JSON.stringify(manifest, null, 2)}\n`);
      }
      const b = compiled.bundle;
      results.push({ environment, revision: compiled.revision, bytes: Buffer.byteLength(compiled.canonical), prompts: Object.keys(b.prompts).length, features: Object.keys(b.features).length, experiments: Object.keys(b.experiments).length, manifest, canonical: compiled.canonical });
    }

    if (args.print) {
      io.write(results[0]!.canonical);
      return;
    }
    const notes = all.filter((d) => d.severity !== 'error');
    if (format === 'json') {
      io.out(JSON.stringify({ version: 1, bundles: results.map(({ canonical: _c, ...r }) => r), diagnostics: notes }, null, 2));
      return;
    }
    // Prompts an environment leaves out by status are expected; list them only on request.
    const infos = notes.filter((d) => d.severity === 'info');
    printDiagnostics(io, root, args.verbose ? notes : notes.filter((d) => d.severity !== 'info'), format);
    if (format === 'github') return;
    if (infos.length > 0 && !args.verbose) io.out(colors(io).dim(`${infos.length} prompt reference${infos.length === 1 ? '' : 's'} left out of bundles by status (--verbose lists them)`));
    const c = colors(io);
    io.out(c.bold('environment   revision       prompts  features  experiments  size'));
    for (const r of results) {
      io.out(`${r.environment.padEnd(13)} ${r.revision.slice(0, 12)}   ${String(r.prompts).padStart(7)}  ${String(r.features).padStart(8)}  ${String(r.experiments).padStart(11)}  ${(r.bytes / 1024).toFixed(1).padStart(5)} KB`);
    }
    io.out(`${summary(io, all)}${args.out ? ` — bundles written to ${args.out}` : ''}${source.commit ? ` — source ${source.commit.slice(0, 12)}${source.dirty ? ' (uncommitted changes)' : ''}` : ''}`);
  },
});

function outFile(dir: string, name: string): string {
  try {
    return pathInside(dir, name);
  } catch (error) {
    if (error instanceof PathEscapeError) throw new ExitError(EXIT.failed, `promptops compile: ${error.message}`);
    throw error;
  }
}
