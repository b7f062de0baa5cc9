import type { Diagnostic, Severity } from '../diagnostics.js';
import type { Entity, Repository } from '../repository.js';
import type { ExperimentFile } from '../schemas/experiment.js';
import { locate } from '../source.js';
import type { EntityChange } from './entities.js';
import type { PromptChange } from './prompts.js';

export interface PolicyOptions {
  /** Severity of a content change without a version bump and changelog entry (`policy.require_version_bump`, default error). */
  versionBump?: Severity | 'off';
}

/** Checks a change must pass besides validation: version bumps, reassigning experiments, removing used prompts. */
export function checkPolicies(base: Repository, head: Repository, entities: readonly EntityChange[], prompts: readonly PromptChange[], options: PolicyOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const bump = options.versionBump ?? head.config.policy?.require_version_bump ?? 'error';
  for (const p of prompts) checkVersion(head, p, bump, out);
  for (const e of entities) if (e.kind === 'experiment' && e.change === 'changed') checkReassignment(base.experiments.get(e.id)!, head.experiments.get(e.id)!, out);
  checkRemovedPrompts(head, entities, out);
  return out;
}

const at = (entity: Pick<Entity<unknown>, 'file' | 'source'>, path: (string | number)[]) => ({ file: entity.file, ...locate(entity.source, path), path });

function checkVersion(head: Repository, p: PromptChange, severity: Severity | 'off', out: Diagnostic[]): void {
  const entity = head.prompts.get(p.id);
  const { base, head: version } = p.version;
  if (!entity?.valid || base === undefined || version === undefined) return;
  if (version < base) {
    out.push({ code: 'version-decreased', severity: 'error', ...at(entity, ['version']), message: `version went down from ${base} to ${version}`, hint: `versions only increase; use ${base + 1}` });
    return;
  }
  if (severity === 'off' || (!p.content_changed && p.params.length === 0)) return;
  const what = [p.content_changed ? (p.partials.length && !p.diff ? `partial ${p.partials.join(', ')}` : 'rendered content') : '', p.params.length ? `model parameters (${p.params.map((f) => f.path).join(', ')})` : ''].filter(Boolean).join(' and ');
  if (version === base) {
    out.push({
      code: 'version-not-bumped', severity, ...at(entity, ['version']),
      message: `${what} of prompt "${p.id}" changed but its version is still ${version}`,
      hint: `set "version: ${base + 1}" and add a changelog entry "- version: ${base + 1}" with a note of what changed`,
    });
  } else if (!entity.data.changelog?.some((c) => c.version === version)) {
    out.push({
      code: 'changelog-entry-missing', severity, ...at(entity, entity.data.changelog ? ['changelog'] : ['version']),
      message: `prompt "${p.id}" is now version ${version} but has no changelog entry for it`,
      hint: `add "- version: ${version}" with a note under "changelog:"`,
    });
  }
}

/** Seed, hash attribute and traffic split decide which variant a unit gets; changing them mid-experiment reassigns units. */
function checkReassignment(base: Entity<ExperimentFile>, head: Entity<ExperimentFile>, out: Diagnostic[]): void {
  if (!base.valid || !head.valid || base.data.status !== 'running' || head.data.status !== 'running') return;
  const changes: Array<[string, (string | number)[]]> = [];
  const seed = (e: ExperimentFile) => e.seed ?? e.name;
  const attribute = (e: ExperimentFile) => e.hash_attribute ?? 'user_id';
  const split = (e: ExperimentFile) => {
    const total = e.variants.reduce((s, v) => s + v.weight, 0) || 1;
    return JSON.stringify(e.variants.map((v) => [v.name, v.weight / total]));
  };
  if (seed(base.data) !== seed(head.data)) changes.push(['seed', [head.data.seed !== undefined ? 'seed' : 'name']]);
  if (attribute(base.data) !== attribute(head.data)) changes.push(['hash attribute', ['hash_attribute']]);
  if (split(base.data) !== split(head.data)) changes.push(['variant weights', ['variants']]);
  if (changes.length === 0) return;
  const acknowledged = head.data.acknowledge_reassignment;
  // An acknowledgement is for one change: it must be new (or reworded) in this change to count.
  if (acknowledged && acknowledged !== base.data.acknowledge_reassignment) return;
  out.push({
    code: 'experiment-reassignment', severity: 'error', ...at(head, changes[0]![1]),
    message: `running experiment "${head.id}" changes its ${changes.map((c) => c[0]).join(', ')}, which reassigns units to different variants mid-experiment`,
    hint: acknowledged
      ? 'the existing acknowledge_reassignment is from an earlier change; update it with the reason for this one'
      : 'revert the change, stop the experiment and start a new one, or add "acknowledge_reassignment: <reason>" to the file',
  });
}

function checkRemovedPrompts(head: Repository, entities: readonly EntityChange[], out: Diagnostic[]): void {
  const gone = new Map<string, string | undefined>();
  for (const e of entities) {
    if (e.kind !== 'prompt') continue;
    if (e.change === 'removed') gone.set(e.id, undefined);
    if (e.change === 'renamed') gone.set(e.base_id!, e.id);
  }
  if (gone.size === 0) return;
  for (const feature of head.features.values()) {
    for (const [i, id] of (feature.data.prompts ?? []).entries()) {
      if (!gone.has(id) || head.prompts.has(id)) continue;
      const renamed = gone.get(id);
      out.push({
        code: 'removed-prompt-in-use', severity: 'error', ...at(feature, ['prompts', i]),
        message: `prompt "${id}" is ${renamed ? `renamed to "${renamed}"` : 'removed'} but feature "${feature.id}" still uses it`,
        hint: renamed ? `replace "${id}" with "${renamed}"` : `remove "${id}" from the feature's prompts, or keep the prompt (set "status: archived" to retire it)`,
      });
    }
  }
  for (const experiment of head.experiments.values()) {
    for (const [i, v] of (experiment.data.variants ?? []).entries()) {
      if (v.prompt === undefined || !gone.has(v.prompt) || head.prompts.has(v.prompt)) continue;
      const renamed = gone.get(v.prompt);
      out.push({
        code: 'removed-prompt-in-use', severity: 'error', ...at(experiment, ['variants', i, 'prompt']),
        message: `prompt "${v.prompt}" is ${renamed ? `renamed to "${renamed}"` : 'removed'} but variant "${v.name}" of experiment "${experiment.id}" still uses it`,
        hint: renamed ? `replace "${v.prompt}" with "${renamed}"` : 'point the variant at another prompt, or keep the prompt',
      });
    }
  }
}
