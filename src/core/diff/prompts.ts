import { createTwoFilesPatch } from 'diff';
import { canonicalJson } from '../canonical.js';
import { analyzePrompt, promptParts } from '../prompt-analysis.js';
import { renderPrompt, type Rendered } from '../render.js';
import type { Entity, Repository } from '../repository.js';
import type { PromptChange } from '../schemas/diff-report.js';
import type { PromptFile } from '../schemas/prompt.js';
import type { EntityChange } from './entities.js';
import { fieldChanges } from './entities.js';

/** Prompt fields that change neither what is sent, nor what is published, nor what the tests check. */
const DOCUMENTATION = new Set(['description', 'tags', 'category', 'owners', 'changelog']);

/** An entry of `prompts` in the report (schemas/diff-report.schema.json). */
export type { PromptChange };

/** What the model is sent, independent of how the file is laid out: templates, included partial texts, variable defaults. */
export function promptContent(repo: Repository, entity: Entity<PromptFile>): string {
  const parts = promptParts(entity.data).map((p) => [p.role, p.source]);
  const partials = [...analyzePrompt(repo, entity).partials].sort().map((name) => [name, repo.partials.get(name)?.text ?? null]);
  const defaults = Object.entries(entity.data.variables ?? {}).filter(([, v]) => v.default !== undefined).map(([k, v]) => [k, v.default]);
  return canonicalJson({ parts, partials, defaults });
}

/**
 * Details of every prompt that was added, removed, renamed or changed, plus prompts whose file did
 * not change but whose content did through a partial (`change: 'changed'`) or whose cost and eval
 * inputs did through a feature or catalog change (`change: 'assignment'`, listed in `assignment`).
 */
export function promptChanges(base: Repository, head: Repository, entities: readonly EntityChange[], assignment: readonly string[], environment: string): PromptChange[] {
  const out: PromptChange[] = [];
  const listed = new Set<string>();
  for (const e of entities) {
    if (e.kind !== 'prompt') continue;
    listed.add(e.id);
    // Documentation-only edits are listed with the other file changes, not as changed prompts.
    if (e.change === 'changed' && e.fields.every((f) => DOCUMENTATION.has(f.path.split('.')[0]!))) continue;
    out.push(describe(base, head, e.change === 'added' ? undefined : (e.base_id ?? e.id), e.change === 'removed' ? undefined : e.id, e.change, environment));
  }
  for (const id of [...head.prompts.keys()].sort()) {
    if (listed.has(id) || !base.prompts.has(id)) continue;
    const change = promptContent(base, base.prompts.get(id)!) !== promptContent(head, head.prompts.get(id)!) ? 'changed' : assignment.includes(id) ? 'assignment' : undefined;
    if (change) out.push(describe(base, head, id, id, change, environment));
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function describe(base: Repository, head: Repository, baseId: string | undefined, headId: string | undefined, change: PromptChange['change'], environment: string): PromptChange {
  const b = baseId !== undefined ? base.prompts.get(baseId) : undefined;
  const h = headId !== undefined ? head.prompts.get(headId) : undefined;
  const entity = (h ?? b)!;
  const partials = new Set<string>();
  if (b && h) {
    const names = new Set([...analyzePrompt(base, b).partials, ...analyzePrompt(head, h).partials]);
    for (const name of names) if (base.partials.get(name)?.text !== head.partials.get(name)?.text) partials.add(name);
  }
  const note = h?.data.changelog?.find((c) => c.version === h.data.version)?.note;
  const rendered = renderedDiff(base, head, b, h, environment);
  return {
    id: entity.id,
    change,
    file: entity.file,
    ...(b && h && b.id !== h.id ? { base_id: b.id, base_file: b.file } : {}),
    version: { base: b?.data.version, head: h?.data.version },
    status: { base: b?.data.status, head: h?.data.status },
    content_changed: Boolean(b && h && promptContent(base, b) !== promptContent(head, h)),
    params: b && h ? fieldChanges(b.data.model ?? {}, h.data.model ?? {}).map((f) => ({ ...f, path: f.path || 'model' })) : [],
    partials: [...partials].sort(),
    ...rendered,
    ...(note ? { note } : {}),
  };
}

/** Variables to show a rendering with: the first test's that renders at both sides, else none (defaults only). */
function renderedDiff(base: Repository, head: Repository, b: Entity<PromptFile> | undefined, h: Entity<PromptFile> | undefined, environment: string): Pick<PromptChange, 'diff' | 'rendered_with'> {
  const candidates: Array<[string | undefined, Record<string, unknown>]> = [
    ...(h ?? b)!.data.tests?.map((t) => [t.name, (t.vars ?? {}) as Record<string, unknown>] as [string, Record<string, unknown>]) ?? [],
    [undefined, {}],
  ];
  for (const [name, vars] of candidates) {
    const before = b ? render(base, b.id, vars, environment) : '';
    const after = h ? render(head, h.id, vars, environment) : '';
    if (before === undefined || after === undefined) continue;
    if (before === after) return {};
    return { diff: patch(b?.file, h?.file, before, after), ...(name ? { rendered_with: name } : {}) };
  }
  const source = (e?: Entity<PromptFile>) => (e ? promptParts(e.data).map((p) => `[${p.role}]\n${p.source}`).join('\n\n') : '');
  const before = source(b);
  const after = source(h);
  return before === after ? {} : { diff: patch(b?.file, h?.file, before, after) };
}

function render(repo: Repository, prompt: string, vars: Record<string, unknown>, environment: string): string | undefined {
  const env = repo.config.environments[environment] ? environment : undefined;
  const { value } = renderPrompt({ repo, prompt, vars, environment: env });
  return value ? asText(value) : undefined;
}

const asText = (r: Rendered): string => r.messages.map((m) => (r.kind === 'chat' ? `[${m.role}]\n${m.content}` : m.content)).join('\n\n');

function patch(baseFile: string | undefined, headFile: string | undefined, before: string, after: string): string {
  const text = createTwoFilesPatch(baseFile ? `a/${baseFile}` : '/dev/null', headFile ? `b/${headFile}` : '/dev/null', ensureNewline(before), ensureNewline(after), undefined, undefined, { context: 3 });
  // The "Index:" and "=====" lines jsdiff prints first carry nothing a reader needs.
  return text.split('\n').filter((line, i) => !(i < 2 && (line.startsWith('Index: ') || /^=+$/.test(line)))).join('\n').trimEnd();
}

const ensureNewline = (s: string) => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
