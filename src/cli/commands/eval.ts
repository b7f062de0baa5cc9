import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { validateRepository } from '../../core/check/index.js';
import type { CacheMode } from '../../eval/client.js';
import { evaluate, type ProviderChoice } from '../../eval/evaluate.js';
import { createJunitCollector, openResultsFile, RESULTS_SCHEMA_VERSION } from '../../eval/report.js';
import { GitRefError } from '../../git/snapshot.js';
import { commonArgs, outputFormat, positiveInt, printDiagnostics, resolveRoot } from '../_shared.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { createProgress, printFailures, printSummary, githubAnnotations } from '../eval-output.js';

export default defineCommand({
  args: {
    env: { type: 'string', description: 'Environment whose model assignments the tests run against (default: the first one)', valueHint: 'name' },
    prompt: { type: 'string', description: 'Only these prompts (comma-separated ids)', valueHint: 'ids' },
    'changed-since': { type: 'string', description: 'Only prompts whose content, partials, variables, tests or model assignment changed since this git ref', valueHint: 'ref' },
    experiment: { type: 'string', description: 'Run every variant of an experiment over its feature\'s tests, side by side', valueHint: 'name' },
    record: { type: 'boolean', description: 'Call the providers for every test and store the responses in the cache' },
    replay: { type: 'boolean', description: 'Answer only from recorded responses; a missing one errors its test' },
    cache: { type: 'boolean', description: 'Use the response cache (--no-cache: never read or write it)', default: true },
    provider: { type: 'enum', options: ['auto', 'live', 'offline'], description: 'live providers, the offline one, or auto (live where the API key is set); default from promptops.config.yaml' },
    concurrency: { type: 'string', description: 'Most model calls in flight (default: eval.concurrency or 8)', valueHint: 'n' },
    timeout: { type: 'string', description: 'Per-call timeout in ms (default: eval.timeout_ms or 60000)', valueHint: 'ms' },
    'assertion-timeout': { type: 'string', description: 'Time limit of one javascript assertion call in ms (default: eval.assertion_timeout_ms or 5000)', valueHint: 'ms' },
    output: { type: 'string', description: `Write results JSON (schema_version ${RESULTS_SCHEMA_VERSION}) to this file`, valueHint: 'file' },
    junit: { type: 'string', description: 'Write JUnit XML to this file', valueHint: 'file' },
    verbose: { type: 'boolean', description: 'List every test, not only failing ones' },
    root: commonArgs.root,
    json: commonArgs.json,
    format: commonArgs.format,
  },
  async run({ args, data }) {
    const io = data as Io;
    const root = resolveRoot(io, args.root);
    const format = outputFormat(args);
    if (args.record && args.replay) throw usageError('promptops eval: --record and --replay exclude each other');
    const mode: CacheMode = args.record ? 'record' : args.replay ? 'replay' : args.cache === false ? 'off' : 'cache';
    const concurrency = positiveInt('eval', '--concurrency', args.concurrency);
    const timeoutMs = positiveInt('eval', '--timeout', args.timeout);
    const assertionTimeoutMs = positiveInt('eval', '--assertion-timeout', args['assertion-timeout']);

    const { repo, diagnostics } = validateRepository({ root });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      printDiagnostics(io, root, errors, format);
      io.err('promptops eval: the repository has errors; fix them first (see "promptops validate")');
      throw new ExitError(EXIT.failed);
    }
    const environment = args.env ?? Object.keys(repo.config.environments)[0]!;
    if (!repo.config.environments[environment]) throw usageError(`promptops eval: unknown environment "${environment}" (environments: ${Object.keys(repo.config.environments).join(', ')})`);
    const provider = (args.provider as ProviderChoice | undefined) ?? repo.config.eval?.provider ?? 'auto';
    if (mode === 'record' && provider === 'offline') throw usageError('promptops eval: --record stores live responses; use --provider live (or auto) with the API keys exported');

    const started = performance.now();
    const startedAt = new Date().toISOString();
    if (args.experiment !== undefined && (args.prompt !== undefined || args['changed-since'] !== undefined)) {
      throw usageError('promptops eval: --experiment runs its feature\'s tests; it cannot be combined with --prompt or --changed-since');
    }
    // Opened once the plan is known, so a usage error leaves no empty results file behind.
    let results: Awaited<ReturnType<typeof openResultsFile>> | undefined;
    const junit = args.junit ? createJunitCollector() : undefined;
    const c = colors(io);
    const progress = createProgress(io);
    const failures: Parameters<typeof printFailures>[1] = [];
    let outcome;
    try {
      outcome = await evaluate({
        repo,
        environment,
        prompts: args.prompt?.split(',').map((s) => s.trim()).filter(Boolean),
        changedSince: args['changed-since'],
        experiment: args.experiment,
        mode,
        provider,
        concurrency,
        timeoutMs,
        assertionTimeoutMs,
        env: io.env,
        onPlan: async (count) => {
          if (args.output) results = await openResultsFile(resolve(io.cwd, args.output), { environment, mode, provider, ...(args.experiment ? { experiment: args.experiment } : {}), started_at: startedAt });
          progress.start(count);
        },
        onProgress: (done) => progress.update(done),
        onResult: async (result) => {
          await results?.add(result);
          junit?.add(result);
          if (result.status !== 'pass' || args.verbose) failures.push(result);
        },
      });
    } catch (error) {
      if (error instanceof GitRefError) throw usageError(`promptops eval: ${error.message}`);
      throw error;
    } finally {
      progress.stop();
    }
    if (outcome.diagnostics.some((d) => d.severity === 'error')) {
      printDiagnostics(io, root, outcome.diagnostics, format);
      throw new ExitError(EXIT.usage);
    }
    const { summary } = outcome;
    await results?.close(summary);
    if (args.junit) junit!.write(resolve(io.cwd, args.junit));
    const seconds = (performance.now() - started) / 1000;

    if (format === 'json') {
      io.out(JSON.stringify({ schema_version: RESULTS_SCHEMA_VERSION, environment, mode, provider, ...(outcome.changed ? { changed: outcome.changed } : {}), summary, results: failures }, null, 2));
    } else {
      if (format === 'github') for (const line of githubAnnotations(failures)) io.out(line);
      if (outcome.changed) io.err(c.dim(`changed since ${args['changed-since']}: ${outcome.changed.length ? outcome.changed.join(', ') : 'no prompt'}`));
      printFailures(io, failures);
      printSummary(io, summary, { environment, mode, provider, experiment: args.experiment, seconds });
    }
    if (summary.unreachable > 0) throw new ExitError(EXIT.infra);
    if (summary.failed + summary.errored > 0) throw new ExitError(EXIT.failed);
  },
});

