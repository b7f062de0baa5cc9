import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { exampleTree, run, writeTree, type RunResult, type Tree } from './helpers/repo.js';
import { mulberry32 } from './helpers/random.js';

/*
 * Fuzzing the validator (issue 14): the example repository's files, mutated the way a careless or
 * hostile pull request would (lines deleted, duplicated, swapped; scalars turned into other types,
 * huge numbers, special strings, unicode; keys renamed; indentation broken; anchors, aliases and tags
 * inserted; files truncated, even mid-character). Whatever the input, validate answers 0 or 1, never
 * prints a stack or "internal error", locates every diagnostic at file:line:col and answers in time;
 * when it says valid, compile and render must not crash on the repository either.
 *
 * Seeded and reproducible: a failure prints the seed, the case number and its mutations.
 *   PROMPTOPS_FUZZ_CASES=5000            more cases (default 300, ~15 s)
 *   PROMPTOPS_FUZZ_SEED=7                another seed (default 14)
 *   PROMPTOPS_FUZZ_CASE=123              only that case of the seed
 */
const CASES = Number(process.env.PROMPTOPS_FUZZ_CASES ?? 300);
const SEED = Number(process.env.PROMPTOPS_FUZZ_SEED ?? 14);
const ONLY = process.env.PROMPTOPS_FUZZ_CASE === undefined ? undefined : Number(process.env.PROMPTOPS_FUZZ_CASE);
/** Per command run; generous for 2 busy cores, far below a hang. */
const TIME_LIMIT_MS = 2_000;
/** Diagnostics about the repository as a whole, which have no file (docs/diagnostics.md). */
const REPOSITORY_LEVEL = new Set(['empty-repository']);

const STACK_FRAME = /^\s*at\s+\S.*:\d+:\d+\)?$/m;

type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

/** Values a scalar is replaced with: other types, extremes, YAML specials, template and regex syntax, unicode. */
const SCALARS = [
  '~', 'null', 'true', 'no', '-1', '0', '1.5', '1e309', '-1e309', '99999999999999999999999', '0x1F', '0o17', '.nan', '-.inf', '9007199254740993',
  '""', "''", '" "', '"\\u0000"', '"\\t\\r\\n"', '"\\uFFFF"', '"\\uD800"', '💥', '"ẞ\u0301\u200b\u202e"', 'ǅǈ', '日本語',
  '[]', '{}', '[1, [2, [3]]]', '{a: {b: {c: 1}}}', '[~]', '- x', '? x', '"x: y"', ':', '-', '|', '>-', '|+', '@', '`', '%', '!', '&', '*',
  '!!binary aGk=', '!!timestamp 2001-12-14', '!!str 1', '!!int x', '!!float abc', '!!set {a, b}', '!!omap [a: 1]', '!!map []', '!foo bar',
  '2026-13-45', '2026-02-30', '1970-01-01', '"2026-01-01T00:00:00Z"',
  '"{{"', '"}}"', '"{{#each x}}"', '"{{/if}}"', '"{{> missing}}"', '"{{> ../../etc/passwd}}"', '"{{constructor.constructor}}"', '"{{@root.__proto__}}"', '"{{lookup . \'x\'}}"', '"{{{{raw}}}}"', '"{{! }}"', '"{{#*inline \\"x\\"}}{{/inline}}"',
  '"("', '"[a-"', '"\\\\p{Foo}"', '"(a+)+$"', '"/x/gq"', '"(?<n>a)\\\\k<n>"',
  '__proto__', 'constructor', 'prototype', '"../../../etc/passwd"', '/etc/passwd', '"${HOME}"', 'file:///etc/passwd', 'postgres://u:secret@h/db', 'javascript', 'json-schema',
  'openai/gpt-6-luna', 'nope/model', 'OpenAI/GPT', 'a/b/c', 'production', 'Production', 'draft', 'approved', 'archived', 'inactive', 'running',
];

const KEYS = ['__proto__', 'constructor', '<<', '"a/b"', '"Bad Key"', 'prod/x', 'A', '1', '""', '"\u00e9t\u00e9"', 'x'.repeat(300), '? [a]', 'type', 'name', 'value', 'pattern', 'items', 'properties', 'schema', '$ref', 'environments', 'models', 'variables'];

const TAGS = ['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq', '!!set', '!!omap', '!!binary', '!!timestamp', '!local', '!<tag:yaml.org,2002:str>', '!!python/object'];

type Mutation = (lines: string[], rng: Rng) => string;

const scalarLine = /^(\s*(?:- )?[^\s:#][^:#]*:\s+)(\S.*)$/;
const keyLine = /^(\s*(?:- )?)([^\s:#'"][^:#]*?)(:(?:\s|$).*)$/;

function lineWith(lines: string[], rng: Rng, re: RegExp): number | undefined {
  const candidates = lines.flatMap((l, i) => (re.test(l) ? [i] : []));
  return candidates.length ? pick(rng, candidates) : undefined;
}

const MUTATIONS: Record<string, Mutation> = {
  'delete line': (lines, rng) => {
    const i = int(rng, lines.length);
    const [gone] = lines.splice(i, 1);
    return `line ${i + 1} (${JSON.stringify(gone)})`;
  },
  'duplicate line': (lines, rng) => {
    const i = int(rng, lines.length);
    lines.splice(i, 0, lines[i]!);
    return `line ${i + 1}`;
  },
  'swap lines': (lines, rng) => {
    const i = int(rng, lines.length);
    const j = rng() < 0.6 ? Math.min(lines.length - 1, i + 1) : int(rng, lines.length);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return `lines ${i + 1} and ${j + 1}`;
  },
  'replace scalar': (lines, rng) => {
    const i = lineWith(lines, rng, scalarLine);
    if (i === undefined) return 'no scalar';
    const value = rng() < 0.05 ? `"${'ab🚀'.repeat(20_000)}"` : pick(rng, SCALARS);
    lines[i] = lines[i]!.replace(scalarLine, (_, key: string) => `${key}${value}`);
    return `line ${i + 1} value → ${value.slice(0, 40)}`;
  },
  'replace number': (lines, rng) => {
    const i = lineWith(lines, rng, /\d/);
    if (i === undefined) return 'no number';
    const value = pick(rng, ['-1', '0', '1e400', '123456789012345678901234567890', '0.000000001', '-0', 'NaN', '1_000', '2.5']);
    lines[i] = lines[i]!.replace(/-?\d+(\.\d+)?/, value);
    return `line ${i + 1} number → ${value}`;
  },
  'rename key': (lines, rng) => {
    const i = lineWith(lines, rng, keyLine);
    if (i === undefined) return 'no key';
    const m = keyLine.exec(lines[i]!)!;
    const style = int(rng, 4);
    const key = style === 0 ? m[2]!.slice(0, -1) || 'x' : style === 1 ? m[2]!.toUpperCase() : style === 2 ? `${m[2]}_${m[2]}` : pick(rng, KEYS);
    lines[i] = `${m[1]}${key}${m[3]}`;
    return `line ${i + 1} key ${JSON.stringify(m[2])} → ${JSON.stringify(key.slice(0, 40))}`;
  },
  'break indentation': (lines, rng) => {
    const i = int(rng, lines.length);
    const how = pick(rng, ['+1', '-1', '+2', '-2', 'tab', 'none', '+40']);
    const line = lines[i]!;
    lines[i] = how === 'tab' ? `\t${line}` : how === 'none' ? line.trimStart() : how.startsWith('+') ? ' '.repeat(Number(how.slice(1))) + line : line.slice(Number(how.slice(1)));
    return `line ${i + 1} ${how}`;
  },
  'anchor and alias': (lines, rng) => {
    const from = lineWith(lines, rng, scalarLine);
    const to = lineWith(lines, rng, scalarLine);
    if (from === undefined || to === undefined) return 'no scalar';
    const kind = int(rng, 4);
    if (kind === 0) {
      lines[from] = lines[from]!.replace(scalarLine, (_, key: string, value: string) => `${key}&a ${value}`);
      lines[to] = lines[to]!.replace(scalarLine, (_, key: string) => `${key}*a`);
      return `anchor &a at line ${from + 1}, alias at line ${to + 1}`;
    }
    if (kind === 1) {
      lines[to] = lines[to]!.replace(scalarLine, (_, key: string) => `${key}*nowhere`);
      return `undefined alias at line ${to + 1}`;
    }
    if (kind === 2) {
      const indent = /^\s*/.exec(lines[to]!)![0];
      lines.splice(to, 0, `${indent}<<: *a`);
      lines[from] = lines[from]!.replace(scalarLine, (_, key: string, value: string) => `${key}&a ${value}`);
      return `merge key <<: *a at line ${to + 1}, anchor at ${from + 1}`;
    }
    // A mapping anchored and aliased inside itself: a recursive structure.
    const indent = /^\s*/.exec(lines[to]!)![0];
    lines.splice(to, 0, `${indent}self: &s`, `${indent}  me: *s`);
    return `self-referencing alias at line ${to + 1}`;
  },
  'insert tag': (lines, rng) => {
    const i = lineWith(lines, rng, scalarLine);
    if (i === undefined) return 'no scalar';
    const tag = pick(rng, TAGS);
    lines[i] = lines[i]!.replace(scalarLine, (_, key: string, value: string) => `${key}${tag} ${value}`);
    return `line ${i + 1} tag ${tag}`;
  },
  'insert line': (lines, rng) => {
    const i = int(rng, lines.length + 1);
    const indent = ' '.repeat(pick(rng, [0, 2, 4, 6]));
    const text = pick(rng, ['---', '...', '%YAML 1.1', `${indent}? complex`, `${indent}- item`, `${indent}extra: 1`, `${indent}tests: []`, `${indent}variables: {}`, `${indent}environments:`, '#', `${indent}"quoted: key": v`, `${indent}{{`, `${indent}a: b: c`, '\u00a0key: v', '\ufeffkey: v', `${indent}key: "unterminated`]);
    lines.splice(i, 0, text);
    return `line ${i + 1} ← ${JSON.stringify(text)}`;
  },
};

/** A file of the example, mutated: 1–3 line mutations, or a whole-file one (truncation, emptied, binary). */
function mutateFile(content: Uint8Array, rng: Rng): { content: Uint8Array; what: string[] } {
  const whole = rng();
  if (whole < 0.08) {
    // Byte offset: may cut a multi-byte character in half (invalid UTF-8 at the end).
    const at = int(rng, content.length);
    return { content: content.subarray(0, at), what: [`truncate at byte ${at}`] };
  }
  if (whole < 0.1) return { content: new Uint8Array(), what: ['empty file'] };
  if (whole < 0.12) return { content: Uint8Array.from({ length: 64 }, () => int(rng, 256)), what: ['random bytes'] };
  const lines = Buffer.from(content).toString('utf8').split('\n');
  const names = Object.keys(MUTATIONS);
  const what: string[] = [];
  const count = 1 + int(rng, 3);
  for (let n = 0; n < count; n++) {
    const name = pick(rng, names);
    what.push(`${name}: ${MUTATIONS[name]!(lines, rng)}`);
  }
  return { content: Buffer.from(lines.join(rng() < 0.05 ? '\r\n' : '\n')), what };
}

/** Whole-repository mutations that are about files rather than content. */
function mutateTree(tree: Tree, rng: Rng): string | undefined {
  const r = rng();
  const files = Object.keys(tree).filter((f) => !f.startsWith('schemas/'));
  if (r < 0.03) {
    const file = pick(rng, files);
    delete tree[file];
    return `delete ${file}`;
  }
  if (r < 0.05) {
    const file = pick(rng, files);
    const copy = pick(rng, ['prompts/Bad Name.yaml', 'prompts/a/../b.yaml', 'features/x.yml', `${file.replace(/\.yaml$/, '.yml')}`, 'prompts/_partials/new.hbs', 'budgets/-x.yaml', 'experiments/ünï.yaml']);
    tree[copy] = tree[file]!;
    return `copy ${file} to ${copy}`;
  }
  return undefined;
}

interface Case {
  tree: Tree;
  mutations: string[];
}

function makeCase(base: Tree, index: number): Case {
  const rng = mulberry32(SEED * 1_000_003 + index);
  const tree: Tree = { ...base };
  const mutations: string[] = [];
  const treeMutation = mutateTree(tree, rng);
  if (treeMutation) mutations.push(treeMutation);
  const files = Object.keys(tree).filter((f) => !f.startsWith('schemas/'));
  const fileCount = 1 + (rng() < 0.3 ? 1 : 0);
  for (let n = 0; n < fileCount; n++) {
    const file = pick(rng, files);
    const { content, what } = mutateFile(tree[file] as Uint8Array, rng);
    tree[file] = content;
    mutations.push(...what.map((w) => `${file}: ${w}`));
  }
  return { tree, mutations };
}

/** What is wrong with one command's answer (empty when fine). */
function problemsOf(command: string, result: RunResult, ms: number, exits: readonly number[]): string[] {
  const problems: string[] = [];
  const output = `${result.stdout}\n${result.stderr}`;
  if (!exits.includes(result.code)) problems.push(`${command}: exit ${result.code}`);
  if (STACK_FRAME.test(output) || output.includes('internal error')) problems.push(`${command}: crashed:\n${output.slice(0, 1500)}`);
  if (ms > TIME_LIMIT_MS) problems.push(`${command}: took ${Math.round(ms)} ms`);
  return problems;
}

async function timed(argv: string[]): Promise<{ result: RunResult; ms: number }> {
  const started = performance.now();
  const result = await run(argv);
  return { result, ms: performance.now() - started };
}

/** Variables of the prompt's first test, if the file still parses that far: render gets a realistic input. */
function firstTestVars(content: Uint8Array | undefined): string {
  try {
    const doc = parseYaml(Buffer.from(content ?? []).toString('utf8')) as { tests?: { vars?: unknown }[] };
    const vars = doc?.tests?.[0]?.vars;
    return JSON.stringify(vars && typeof vars === 'object' ? vars : {});
  } catch {
    return '{}';
  }
}

async function runCase(dir: string, { tree, mutations }: Case, index: number): Promise<{ problems: string[]; valid: boolean }> {
  const root = writeTree(join(dir, String(index)), tree);
  // A case that hangs the process (a synchronous wait never returns, so no timeout fires) is left
  // behind as <tmp>/promptops-fuzz-*/<case>, with its mutations here.
  writeFileSync(join(root, 'FUZZ-CASE.txt'), `PROMPTOPS_FUZZ_SEED=${SEED} PROMPTOPS_FUZZ_CASE=${index}\n${mutations.join('\n')}\n`);
  const json = await timed(['validate', '--root', root, '--json']);
  const problems = problemsOf('validate --json', json.result, json.ms, [0, 1]);
  let report: { diagnostics?: { code: string; file?: string; line?: number; col?: number; message: string }[] } = {};
  try {
    report = JSON.parse(json.result.stdout);
  } catch {
    problems.push(`validate --json: output is not JSON: ${json.result.stdout.slice(0, 300)}`);
  }
  for (const d of report.diagnostics ?? []) {
    if (REPOSITORY_LEVEL.has(d.code)) continue;
    if (!d.file || !(Number(d.line) >= 1) || !(Number(d.col) >= 1)) problems.push(`unlocated diagnostic: ${JSON.stringify(d).slice(0, 300)}`);
  }
  // The human format draws code frames from the checked text: weird lines must not break it.
  if (index % 3 === 0) {
    const human = await timed(['validate', '--root', root]);
    problems.push(...problemsOf('validate', human.result, human.ms, [0, 1]));
  }
  if (json.result.code === 0) {
    const compiled = await timed(['compile', '--root', root, '--out', join(root, '.bundles')]);
    problems.push(...problemsOf('compile', compiled.result, compiled.ms, [0, 1]));
    const prompts = Object.keys(tree).filter((f) => /^prompts\/(?!_partials\/).*\.ya?ml$/.test(f));
    if (prompts.length) {
      const file = prompts[index % prompts.length]!;
      const id = file.replace(/^prompts\//, '').replace(/\.ya?ml$/, '');
      const rendered = await timed(['render', id, '--root', root, '--vars', firstTestVars(tree[file] as Uint8Array)]);
      problems.push(...problemsOf(`render ${id}`, rendered.result, rendered.ms, [0, 1, 2]));
    }
  }
  rmSync(root, { recursive: true, force: true });
  return { problems, valid: json.result.code === 0 };
}

describe('validator fuzz', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promptops-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = Object.fromEntries(Object.entries(exampleTree()).map(([k, v]) => [k, v as Uint8Array]));

  it(`mutated example repositories: validate exits 0 or 1 with located diagnostics, compile and render never crash (seed ${SEED}, ${ONLY ?? CASES} cases)`, async () => {
    // Warm-up outside the time limit: the first run loads modules and compiles validators.
    const warm = await run(['validate', '--root', writeTree(join(dir, 'warm'), base), '--json']);
    expect(warm.code, warm.stderr).toBe(0);

    const failures: string[] = [];
    const stats = { cases: 0, valid: 0 };
    const started = performance.now();
    const indexes = ONLY === undefined ? Array.from({ length: CASES }, (_, i) => i) : [ONLY];
    for (const index of indexes) {
      const fuzzCase = makeCase(base, index);
      const { problems, valid } = await runCase(dir, fuzzCase, index);
      stats.cases++;
      if (valid) stats.valid++;
      if (problems.length) {
        failures.push([`case ${index} (PROMPTOPS_FUZZ_SEED=${SEED} PROMPTOPS_FUZZ_CASE=${index}):`, ...fuzzCase.mutations.map((m) => `  mutation  ${m}`), ...problems.map((p) => `  problem   ${p}`)].join('\n'));
      }
    }
    if (process.env.PROMPTOPS_FUZZ_CASES) console.log(`fuzz: seed ${SEED}, ${stats.cases} cases (${stats.valid} valid, so also compiled and rendered), ${failures.length} failing, ${Math.round((performance.now() - started) / 1000)} s`);
    expect(failures.slice(0, 10).join('\n\n'), `${failures.length} of ${stats.cases} cases failed`).toBe('');
  }, 600_000);
});
