import type { Diagnostic, Severity } from '../diagnostics.js';
import { analyzePartial, mapTemplatePos, type PromptAnalysis } from '../prompt-analysis.js';
import type { Entity } from '../repository.js';
import type { PromptFile, VariableSpec } from '../schemas/prompt.js';
import type { BlockScope, TemplateAnalysis, TemplatePos } from '../template/analyze.js';
import { shapeAt } from '../variables.js';
import type { CheckContext } from './_context.js';

/**
 * Inside `{{#each}}` and `{{#with}}` a bare name is looked up on the block's context (the item), not on
 * the prompt's variables: `{{plan}}` there passes every other check, then strict rendering throws (or a
 * helper argument such as `{{#if plan}}` is silently undefined). Judged against the declared shape of
 * the context:
 * - declared properties: a prompt variable that is not one of them is an error;
 * - a string, number, boolean or array item: every name but `length` of an array fails, an error;
 * - shape not declared: a prompt variable's name is a warning (it may be an item field of the same
 *   name; declaring the item's properties or writing `{{this.name}}` settles it). Other names are item
 *   fields nobody can check.
 * Returns the prompt variables reported, so "unused variable" is not said on top.
 */
export function checkTemplateContext(ctx: CheckContext, prompt: Entity<PromptFile>, analysis: PromptAnalysis): Set<string> {
  const declared = prompt.data.variables ?? {};
  const reported = new Set<string>();
  const push = (d: Diagnostic, name: string) => {
    ctx.diagnostics.push(d);
    if (Object.hasOwn(declared, name)) reported.add(name);
  };
  const visit = (template: TemplateAnalysis, file: string, where: (pos: TemplatePos) => { line: number; col: number }) => {
    for (const read of template.contextReads) {
      const verdict = judge(declared, read.name, read.scope);
      if (!verdict) continue;
      const fix = `{{@root.${read.parts.join('.')}}} (or {{${'../'.repeat(read.depth)}${read.parts.join('.')}}})`;
      push({
        code: 'context-slip', severity: verdict.severity, file, ...where(read),
        message: `"${read.parts.join('.')}" inside ${opening(read.scope)} is read from ${contextOf(read.scope)}${verdict.why}`,
        hint: verdict.severity === 'warning' ? `if you mean the prompt variable, write ${fix}; if it is a field of the item, declare it under ${declaration(read.scope)} or write {{this.${read.parts.join('.')}}}`
          : Object.hasOwn(declared, read.name) ? `write ${fix} to read the prompt variable` : 'write {{this}} for the item itself',
      }, read.name);
    }
    for (const include of template.scopedPartials) {
      const partial = ctx.repo.partials.get(include.name);
      if (!partial) continue;
      for (const name of analyzePartial(partial).variables.keys()) {
        if (include.hashKeys.includes(name)) continue;
        const verdict = judge(declared, name, include.scope);
        if (!verdict) continue;
        push({
          code: 'context-slip', severity: verdict.severity, file, ...where(include),
          message: `partial "${include.name}" reads "${name}", but it is included inside ${opening(include.scope)}, so it reads it from ${contextOf(include.scope)}${verdict.why}`,
          hint: `pass the prompt variable to the partial: {{> ${include.name} ${name}=@root.${name}}}, or write {{@root.${name}}} in prompts/_partials/${include.name}.hbs`,
        }, name);
      }
    }
  };
  for (const part of analysis.parts) visit(part.analysis, prompt.file, (pos) => mapTemplatePos(prompt.source, part.path, pos));
  for (const name of analysis.partials) {
    const partial = ctx.repo.partials.get(name);
    if (partial) visit(analyzePartial(partial), partial.file, (pos) => pos);
  }
  return reported;
}

interface Verdict {
  severity: Severity;
  /** Completes the message: why the lookup fails or may fail. */
  why: string;
}

function judge(declared: Record<string, VariableSpec>, name: string, scope: BlockScope): Verdict | undefined {
  const shape = scope.target ? shapeAt(declared, scope.target) : { kind: 'unknown' as const };
  const variable = Object.hasOwn(declared, name);
  const fails = ', so rendering fails there';
  if (shape.kind === 'object') {
    return variable && !shape.properties.has(name) ? { severity: 'error', why: `, which declares no property "${name}" (the prompt variable "${name}" is not in scope there)${fails}` } : undefined;
  }
  if (shape.kind === 'scalar') {
    if (shape.type === 'array' && name === 'length') return undefined;
    return { severity: 'error', why: `, which is ${shape.type === 'array' || shape.type === 'integer' ? 'an' : 'a'} ${shape.type}${variable ? ` (the prompt variable "${name}" is not in scope there)` : ''}${fails}` };
  }
  return variable ? { severity: 'warning', why: `, not from the prompt variable "${name}"; the item's properties are not declared, so whether it has "${name}" is unknown` } : undefined;
}

const opening = (scope: BlockScope) => `{{#${scope.helper} ${scope.source}}}`;
const contextOf = (scope: BlockScope) => (scope.helper === 'each' ? `each item of "${scope.source}"` : `"${scope.source}"`);

/** Where the properties of the block's context are declared, e.g. `variables.items.items.properties`. */
function declaration(scope: BlockScope): string {
  if (!scope.target?.length) return 'the variable\'s "items" or "properties"';
  return `${scope.target.map((segment, i) => (i === 0 ? `variables.${segment}` : segment === '[]' ? 'items' : `properties.${segment}`)).join('.')}.properties`;
}
