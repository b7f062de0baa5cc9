import { isScalar, Scalar } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { didYouMean } from './diagnostics.js';
import type { Entity, PartialFile, Repository } from './repository.js';
import type { PromptFile } from './schemas/prompt.js';
import { locate, nodeAt, type Location, type SourceFile } from './source.js';
import { analyzeTemplate, type TemplateAnalysis, type TemplatePos } from './template/analyze.js';

/** One template of a prompt: `template`, or the content of one chat message. */
export interface TemplatePart {
  path: (string | number)[];
  role: 'system' | 'user' | 'assistant';
  source: string;
  analysis: TemplateAnalysis;
}

export interface PromptAnalysis {
  parts: TemplatePart[];
  /** Variables read by the prompt or any partial it includes, with where they are first read (resolved lazily: positions cost a YAML re-parse). */
  variables: Map<string, VariableUse>;
  /** Partials included directly or through other partials. */
  partials: Set<string>;
  diagnostics: Diagnostic[];
}

export interface VariableUse {
  file: string;
  /** Line:col in `file`. */
  where: () => Location;
}

const partialCache = new WeakMap<PartialFile, TemplateAnalysis>();
const promptCache = new WeakMap<Entity<PromptFile>, PromptAnalysis>();

export const analyzePartial = (partial: PartialFile): TemplateAnalysis => {
  let analysis = partialCache.get(partial);
  if (!analysis) partialCache.set(partial, (analysis = analyzeTemplate(partial.text)));
  return analysis;
};

export function promptParts(data: PromptFile): { path: (string | number)[]; role: TemplatePart['role']; source: string }[] {
  if (typeof data.template === 'string') return [{ path: ['template'], role: 'user', source: data.template }];
  return (data.messages ?? []).map((m, i) => ({ path: ['messages', i, 'content'], role: m.role, source: m.content }));
}

/** Analyses a prompt's templates and the partials they reach; memoised per loaded entity. */
export function analyzePrompt(repo: Repository, prompt: Entity<PromptFile>): PromptAnalysis {
  const cached = promptCache.get(prompt);
  if (cached) return cached;
  const result: PromptAnalysis = { parts: [], variables: new Map(), partials: new Set(), diagnostics: [] };
  for (const part of promptParts(prompt.data)) {
    const analysis = analyzeTemplate(part.source);
    result.parts.push({ ...part, analysis });
    const toFile = (pos: TemplatePos) => mapTemplatePos(prompt.source, part.path, pos);
    for (const problem of analysis.problems) {
      result.diagnostics.push({ code: problem.code, severity: 'error', file: prompt.file, ...toFile(problem), message: problem.message, hint: problem.hint });
    }
    for (const [name, pos] of analysis.variables) if (!result.variables.has(name)) result.variables.set(name, { file: prompt.file, where: () => toFile(pos) });
    for (const [name, pos] of analysis.partials) includePartial(repo, name, { file: prompt.file, where: () => toFile(pos) }, result, []);
  }
  promptCache.set(prompt, result);
  return result;
}

function includePartial(repo: Repository, name: string, from: VariableUse, result: PromptAnalysis, stack: string[]): void {
  if (stack.includes(name)) {
    result.diagnostics.push({ code: 'partial-cycle', severity: 'error', file: from.file, ...from.where(), message: `partials include each other in a cycle: ${[...stack, name].join(' → ')}`, hint: 'break the cycle' });
    return;
  }
  if (result.partials.has(name)) return;
  const partial = repo.partials.get(name);
  if (!partial) {
    result.diagnostics.push({
      code: 'unknown-partial', severity: 'error', file: from.file, ...from.where(),
      message: `partial "${name}" not found in prompts/_partials`,
      hint: didYouMean(name, repo.partials.keys()) ?? `create prompts/_partials/${name}.hbs`,
    });
    return;
  }
  result.partials.add(name);
  const analysis = analyzePartial(partial);
  for (const [variable, pos] of analysis.variables) if (!result.variables.has(variable)) result.variables.set(variable, { file: partial.file, where: () => pos });
  for (const [child, pos] of analysis.partials) includePartial(repo, child, { file: partial.file, where: () => pos }, result, [...stack, name]);
}

/** Maps a line:col inside a template scalar to line:col in the YAML file. */
export function mapTemplatePos(source: SourceFile | undefined, path: (string | number)[], pos: TemplatePos): Location {
  const node = nodeAt(source, path);
  if (!source || !node?.range) return locate(source, path);
  const start = source.lines.linePos(node.range[0]);
  if (isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED)) {
    // Block scalar content starts on the line after the indicator, at the block's indentation.
    const contentLine = start.line + pos.line;
    const lineStart = source.lines.lineStarts[contentLine - 1] ?? 0;
    const indent = /^ */.exec(source.text.slice(lineStart))?.[0].length ?? 0;
    return { line: contentLine, col: indent + pos.col };
  }
  const quoted = isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) ? 1 : 0;
  return pos.line === 1 ? { line: start.line, col: start.col + quoted + pos.col - 1 } : { line: start.line + pos.line - 1, col: pos.col };
}
