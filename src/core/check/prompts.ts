import { didYouMean } from '../diagnostics.js';
import { analyzePrompt } from '../prompt-analysis.js';
import type { Entity } from '../repository.js';
import type { PromptFile } from '../schemas/prompt.js';
import { KNOWN_HELPERS } from '../template/helpers.js';
import { checkVariables } from '../variables.js';
import { checkAssertion } from './assertions.js';
import { report, type CheckContext } from './_context.js';
import { checkTemplateContext } from './template-context.js';
import { checkPromptUserSchemas } from './user-schemas.js';
import { quote } from '../quote.js';

export function checkPrompt(ctx: CheckContext, prompt: Entity<PromptFile>): void {
  const { data } = prompt;
  const hasTemplate = data.template !== undefined;
  const hasMessages = data.messages !== undefined;
  if (hasTemplate === hasMessages) {
    report(ctx, prompt, [], {
      code: 'prompt-shape',
      message: hasTemplate ? 'prompt has both "template" and "messages"' : 'prompt has neither "template" nor "messages"',
      hint: 'use "template" for a text prompt or "messages" for a chat prompt, not both',
    });
    return;
  }

  const analysis = analyzePrompt(ctx.repo, prompt);
  ctx.diagnostics.push(...analysis.diagnostics);
  const declared = data.variables ?? {};
  for (const [name, where] of analysis.variables) {
    if (Object.hasOwn(declared, name)) continue;
    ctx.diagnostics.push({
      code: 'undeclared-variable', severity: 'error', file: where.file, ...where.where(),
      message: `variable "${name}" is used ${where.file === prompt.file ? 'in the template' : `by partial ${where.file}`} but not declared`,
      hint: didYouMean(name, Object.keys(declared)) ?? `declare it under "variables:" in ${prompt.file}`,
    });
  }
  const slipped = checkTemplateContext(ctx, prompt, analysis);
  // A template that does not parse reads nothing we can see; "unused" would be noise on top of the real error.
  const parsed = analysis.parts.every((p) => p.analysis.ast);
  for (const name of Object.keys(declared)) {
    if (KNOWN_HELPERS.has(name)) {
      report(ctx, prompt, ['variables', name], { code: 'variable-helper-name', key: true, message: `variable "${name}" has the name of a template helper, so {{${name}}} would call the helper`, hint: 'rename the variable' });
      continue;
    }
    if (parsed && !analysis.variables.has(name) && !slipped.has(name)) {
      report(ctx, prompt, ['variables', name], { code: 'unused-variable', severity: 'warning', key: true, message: `variable "${name}" is declared but never used`, hint: 'use it in the template or remove the declaration' });
    }
  }

  const changelog = data.changelog ?? [];
  if (changelog.length > 0 && !changelog.some((c) => c.version === data.version)) {
    report(ctx, prompt, ['version'], { code: 'changelog-missing', severity: 'warning', message: `no changelog entry for version ${data.version}`, hint: `add "- version: ${data.version}" with a note under "changelog:"` });
  }
  for (const [i, entry] of changelog.entries()) {
    if (entry.version > data.version) report(ctx, prompt, ['changelog', i, 'version'], { code: 'changelog-version', message: `changelog entry for version ${entry.version} is newer than the prompt's version ${data.version}` });
  }

  const format = data.model?.response_format;
  if (format?.type === 'json_schema' && !format.schema) {
    report(ctx, prompt, ['model', 'response_format'], { code: 'response-format', message: 'response_format of type json_schema needs a "schema"', hint: 'add the JSON Schema of the expected output under "schema:"' });
  }

  checkPromptUserSchemas(ctx, prompt);
  checkTests(ctx, prompt);
}

function checkTests(ctx: CheckContext, prompt: Entity<PromptFile>): void {
  const names = new Set<string>();
  // A feature with schema errors still counts as a user, but its `prompts` may be anything (a mapping, a number).
  const users = [...ctx.repo.features.values()].filter((f) => Array.isArray(f.data.prompts) && f.data.prompts.includes(prompt.id));
  for (const [i, test] of (prompt.data.tests ?? []).entries()) {
    const at = (...rest: (string | number)[]) => ['tests', i, ...rest];
    if (names.has(test.name)) report(ctx, prompt, at('name'), { code: 'duplicate-test', message: `test name ${quote(test.name)} is used twice`, hint: 'test names must be unique within a prompt' });
    names.add(test.name);
    if (test.feature !== undefined) {
      const feature = ctx.repo.features.get(test.feature);
      if (!feature) report(ctx, prompt, at('feature'), { code: 'unknown-feature', message: `unknown feature "${test.feature}"`, hint: didYouMean(test.feature, ctx.repo.features.keys()) });
      else if (feature.valid && !feature.data.prompts.includes(prompt.id)) {
        report(ctx, prompt, at('feature'), { code: 'feature-prompt', severity: 'warning', message: `feature "${test.feature}" does not list prompt "${prompt.id}"`, hint: `add it to "prompts:" in ${feature.file}` });
      }
    } else if (users.length === 0 && test.model === undefined && prompt.data.status !== 'archived') {
      report(ctx, prompt, at('name'), { code: 'test-model', severity: 'warning', message: `test ${quote(test.name)} has no model: no feature uses this prompt and the test sets no "model"`, hint: 'add the prompt to a feature, or set "model:" or "feature:" on the test' });
    }
    if (test.model !== undefined && !ctx.repo.catalog.models[test.model]) {
      report(ctx, prompt, at('model'), { code: 'unknown-model', message: `unknown model "${test.model}"`, hint: didYouMean(test.model, Object.keys(ctx.repo.catalog.models)) ?? 'add it to features/_models.yaml' });
    }
    for (const [j, assertion] of test.assert.entries()) checkAssertion(ctx, prompt, assertion, at('assert', j));
    for (const d of checkVariables(prompt.data.variables, (test.vars ?? {}) as Record<string, unknown>).diagnostics) {
      const path = d.path?.length ? at('vars', ...d.path) : at('vars');
      report(ctx, prompt, test.vars ? path : at('name'), { code: 'test-vars', message: `test ${quote(test.name)}: ${d.message}`, hint: d.hint });
    }
  }
}
