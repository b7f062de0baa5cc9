import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { parse as parseYaml } from 'yaml';
import { validateRepository } from '../../core/check/index.js';
import { estimateCall } from '../../core/estimate.js';
import { renderPrompt } from '../../core/render.js';
import { commonArgs, outputFormat, printDiagnostics, resolveRoot } from '../_shared.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';

export default defineCommand({
  args: {
    prompt: { type: 'positional', required: true, description: 'Prompt id, e.g. chatbot/system' },
    vars: { type: 'string', description: 'Variables: inline JSON, or a JSON/YAML file', valueHint: 'json|file' },
    env: { type: 'string', description: 'Environment whose model assignment applies (default: the first one)', valueHint: 'name' },
    feature: { type: 'string', description: 'Feature whose assignment applies (default: the first feature using the prompt)', valueHint: 'name' },
    root: commonArgs.root,
    json: commonArgs.json,
  },
  run({ args, data }) {
    const io = data as Io;
    const root = resolveRoot(io, args.root);
    const format = outputFormat(args);
    const vars = parseVars(io, args.vars);
    const { repo } = validateRepository({ root });
    const result = renderPrompt({ repo, prompt: args.prompt, vars, environment: args.env, feature: args.feature });
    if (!result.value) {
      printDiagnostics(io, root, result.diagnostics, format);
      const usage = result.diagnostics.some((d) => ['unknown-prompt', 'unknown-environment', 'unknown-feature'].includes(d.code));
      throw new ExitError(usage ? EXIT.usage : EXIT.failed);
    }
    const rendered = result.value;
    const est = estimateCall(repo, rendered);
    if (format === 'json') {
      io.out(JSON.stringify({ schema_version: 1, ...rendered, messages: rendered.messages.map((m, i) => ({ ...m, tokens: est.messageTokens[i] })), tokens: { input: est.inputTokens, encoding: est.encoding, estimate: est.estimate, max_output: est.maxOutputTokens }, cost: { price_date: est.priceDate, input_usd: est.inputCostUsd, max_usd: est.maxCostUsd } }, null, 2));
      return;
    }
    const c = colors(io);
    io.out(c.bold(`${rendered.prompt} v${rendered.version}`) + c.dim(` · ${rendered.environment}${rendered.feature ? ` · feature ${rendered.feature}` : ''} → ${rendered.model ?? 'no model assigned'}`));
    const params = Object.entries(rendered.params).filter(([k]) => k !== 'response_format').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    if (rendered.params.response_format) params.push(`response_format=${rendered.params.response_format.type}`);
    if (params.length) io.out(c.dim(`params: ${params.join(' ')}`));
    for (const [i, m] of rendered.messages.entries()) {
      io.out(`\n${c.cyan(`── ${m.role} (${est.messageTokens[i]} tokens) ──`)}\n${m.content}`);
    }
    const tilde = est.estimate ? '~' : '';
    const cost = est.inputCostUsd === undefined ? 'no price in the catalog' : `${usd(est.inputCostUsd)} input, up to ${usd(est.maxCostUsd!)} with ${est.maxOutputTokens} output tokens`;
    io.out(`\n${c.bold('tokens')} ${tilde}${est.inputTokens} input (${est.encoding}${est.estimate ? ', estimated' : ''}) · ${c.bold('cost/call')} ${cost} (prices of ${est.priceDate})`);
  },
});

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(6) : n.toFixed(4)}`;

function parseVars(io: Io, value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    if (value.trim().startsWith('{')) parsed = JSON.parse(value);
    else {
      const path = resolve(io.cwd, value);
      if (!existsSync(path)) throw usageError(`promptops render: --vars file "${value}" not found (pass inline JSON or a JSON/YAML file)`);
      parsed = parseYaml(readFileSync(path, 'utf8'), { maxAliasCount: 100 });
    }
  } catch (error) {
    if (error instanceof ExitError) throw error;
    throw usageError(`promptops render: --vars is not valid JSON/YAML: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError('promptops render: --vars must be an object of variable names to values');
  return parsed as Record<string, unknown>;
}
