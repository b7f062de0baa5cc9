import { diffLines } from 'diff';
import microdiff from 'microdiff';
import { CATALOG_FILE, CONFIG_FILE } from '../defaults.js';
import type { Entity, Repository } from '../repository.js';
import type { ChangeType, EntityChange, EntityKind, FieldChange } from '../schemas/diff-report.js';

/**
 * Entries of `entities` in the report (schemas/diff-report.schema.json). A field change is one
 * changed field by dotted path (`environments.production.model`), undefined on the side where it is absent.
 */
export type { ChangeType, EntityChange, EntityKind, FieldChange };

/** Share of lines two files have in common above which a removed + added pair counts as a rename (git's default is 50%). */
const RENAME_SIMILARITY = 0.5;

/** Entities added, removed, renamed or changed between two loaded repositories, in a stable order. */
export function diffEntities(base: Repository, head: Repository): EntityChange[] {
  const out: EntityChange[] = [];
  out.push(...diffMaps('prompt', base.prompts, head.prompts));
  out.push(...diffPlain('partial', mapOf(base.partials, (p) => ({ file: p.file, data: p.text })), mapOf(head.partials, (p) => ({ file: p.file, data: p.text }))));
  out.push(...diffMaps('feature', base.features, head.features));
  out.push(...diffPlain('provider', catalogEntries(base, 'providers'), catalogEntries(head, 'providers')));
  out.push(...diffPlain('model', catalogEntries(base, 'models'), catalogEntries(head, 'models')));
  out.push(...diffMaps('budget', base.budgets, head.budgets));
  out.push(...diffMaps('experiment', base.experiments, head.experiments));
  const config = fieldChanges(base.config, head.config);
  if (config.length) out.push({ kind: 'config', id: CONFIG_FILE, change: 'changed', file: CONFIG_FILE, fields: config });
  return out;
}

interface Plain {
  file: string;
  data: unknown;
  text?: string;
}

function mapOf<T>(map: ReadonlyMap<string, T>, f: (v: T) => Plain): Map<string, Plain> {
  return new Map([...map].map(([k, v]) => [k, f(v)]));
}

/** Fields the catalog merge adds to each entry (not part of the file). */
const DERIVED = { providers: ['origin'], models: ['origin', 'ref', 'provider', 'name'] } as const;

/** Catalog entries defined by the repository's catalog file (built-in ones are the same on both sides). */
function catalogEntries(repo: Repository, which: 'providers' | 'models'): Map<string, Plain> {
  const entries = Object.entries(repo.catalog[which]).filter(([, v]) => v.origin === 'repository');
  const own = (v: object) => Object.fromEntries(Object.entries(v).filter(([k]) => !(DERIVED[which] as readonly string[]).includes(k)));
  return new Map(entries.map(([id, v]) => [id, { file: CATALOG_FILE, data: own(v) }]));
}

function diffMaps<T>(kind: EntityKind, base: ReadonlyMap<string, Entity<T>>, head: ReadonlyMap<string, Entity<T>>): EntityChange[] {
  const plain = (map: ReadonlyMap<string, Entity<T>>) => mapOf(map, (e) => ({ file: e.file, data: e.data, text: e.source?.text }));
  return diffPlain(kind, plain(base), plain(head));
}

function diffPlain(kind: EntityKind, base: ReadonlyMap<string, Plain>, head: ReadonlyMap<string, Plain>): EntityChange[] {
  const out: EntityChange[] = [];
  const removed = [...base.keys()].filter((id) => !head.has(id)).sort();
  const added = [...head.keys()].filter((id) => !base.has(id)).sort();
  const renamedFrom = new Map<string, string>();
  for (const from of removed) {
    let best: [string, number] | undefined;
    for (const to of added) {
      if ([...renamedFrom.values()].includes(to)) continue;
      const score = similarity(textOf(base.get(from)!), textOf(head.get(to)!));
      if (score >= RENAME_SIMILARITY && (!best || score > best[1])) best = [to, score];
    }
    if (best) renamedFrom.set(from, best[0]);
  }
  const renamedTo = new Map([...renamedFrom].map(([from, to]) => [to, from]));
  for (const id of [...new Set([...base.keys(), ...head.keys()])].sort()) {
    const b = base.get(id);
    const h = head.get(id);
    if (b && h) {
      const fields = fieldChanges(b.data, h.data);
      if (fields.length) out.push({ kind, id, change: 'changed', file: h.file, fields });
    } else if (h) {
      const from = renamedTo.get(id);
      if (from) {
        const fb = base.get(from)!;
        out.push({ kind, id, change: 'renamed', file: h.file, base_id: from, base_file: fb.file, fields: fieldChanges(fb.data, h.data) });
      } else {
        out.push({ kind, id, change: 'added', file: h.file, fields: [] });
      }
    } else if (b && !renamedFrom.has(id)) {
      out.push({ kind, id, change: 'removed', file: b.file, fields: [] });
    }
  }
  return out;
}

const textOf = (p: Plain): string => p.text ?? (typeof p.data === 'string' ? p.data : JSON.stringify(p.data, null, 1));

/** Share of lines the two texts have in common, relative to the longer one. */
export function similarity(a: string, b: string): number {
  let common = 0;
  for (const part of diffLines(a, b)) if (!part.added && !part.removed) common += part.count ?? 0;
  const lines = Math.max(a.split('\n').length, b.split('\n').length);
  return lines ? common / lines : 1;
}

const isScalarArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');

/** Field-level changes; a list of scalars (ids, tags, stop sequences) is compared as a whole. */
export function fieldChanges(base: unknown, head: unknown): FieldChange[] {
  if (typeof base !== 'object' || typeof head !== 'object' || base === null || head === null) {
    return base === head ? [] : [{ path: '', base, head }];
  }
  const out = new Map<string, FieldChange>();
  for (const d of microdiff(base as Record<string, unknown>, head as Record<string, unknown>)) {
    let path = d.path;
    // Collapse changes inside a list of scalars into one change of the list.
    for (let i = 1; i < path.length; i++) {
      const prefix = path.slice(0, i);
      if (isScalarArray(get(base, prefix)) || isScalarArray(get(head, prefix))) {
        path = prefix;
        break;
      }
    }
    const key = path.join('.');
    if (!out.has(key)) out.set(key, { path: key, base: get(base, path), head: get(head, path) });
  }
  return [...out.values()];
}

function get(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}
