import { describe, expect, it } from 'vitest';
import { todayUtc } from '../src/core/catalog/catalog.js';
import { BUILTIN_CATALOG } from '../src/core/catalog/builtin.js';
import { CONFIG_YAML, EXAMPLE_ROOT, FEATURE_YAML, minimalRepo, PROMPT_YAML, repo, run, type RunResult } from './helpers/repo.js';

type Overrides = Parameters<typeof minimalRepo>[0];

/** `promptops validate --root <fresh copy of the minimal repository with overrides>`. */
async function validate(overrides: Overrides = {}, flags: string[] = []): Promise<RunResult> {
  return run(['validate', '--root', repo(minimalRepo(overrides)), ...flags]);
}

/** A JavaScript stack frame such as `    at loadRepository (/src/core/repository.ts:12:5)`. */
const STACK_FRAME = /^\s*at\s+\S.*:\d+:\d+\)?$/m;

function expectNoCrash(result: RunResult): void {
  const output = `${result.stdout}\n${result.stderr}`;
  expect(output).not.toMatch(STACK_FRAME);
  expect(output).not.toContain('internal error');
}

interface Expected {
  exit: number;
  code: string;
  file: string;
  line: number;
  col: number;
  severity?: 'error' | 'warning';
}

/** Human output: `path/to/file.yaml:12:5 error [code] message`, on stderr. */
function expectDiagnostic(result: RunResult, { exit, code, file, line, col, severity = 'error' }: Expected): void {
  expect(result.stderr).toContain(`${file}:${line}:${col} ${severity} [${code}]`);
  expect(result.code).toBe(exit);
  expectNoCrash(result);
}

/** Replaces exactly one occurrence, so a fixture edit that silently does nothing fails the test. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

const prompt = (from: string, to: string) => ({ 'prompts/greet.yaml': edit(PROMPT_YAML, from, to) });
const feature = (from: string, to: string) => ({ 'features/greeter.yaml': edit(FEATURE_YAML, from, to) });

describe('validate: the fixtures', () => {
  it('accepts the minimal repository', async () => {
    const result = await validate();
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/✔ valid — 1 prompt, 1 partial, 1 feature, 0 budgets, 0 experiments/);
    expect(result.code).toBe(0);
  });

  it('accepts the example repository with zero errors', async () => {
    const result = await run(['validate', '--root', EXAMPLE_ROOT, '--json']);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(report.diagnostics.filter((d: { severity: string }) => d.severity === 'error')).toEqual([]);
    expect(report).toMatchObject({ ok: true, errors: 0 });
    expect(report.counts.prompts).toBeGreaterThan(0);
    expect(result.code).toBe(0);
  });
});

describe('validate: YAML that cannot be loaded', () => {
  it('reports malformed YAML at the offending token', async () => {
    const result = await validate(prompt('status: approved\n', 'status: approved: yes\n'));
    expectDiagnostic(result, { exit: 1, code: 'yaml-syntax', file: 'prompts/greet.yaml', line: 3, col: 9 });
  });

  it('reports a duplicate key at its second occurrence', async () => {
    const result = await validate(prompt('status: approved\n', 'status: approved\nstatus: draft\n'));
    expectDiagnostic(result, { exit: 1, code: 'duplicate-key', file: 'prompts/greet.yaml', line: 4, col: 1 });
  });

  it('refuses an alias bomb (10 aliases per level, 9 levels) quickly instead of expanding it', async () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const lines = [`a: &a [${Array(10).fill('"lol"').join(', ')}]`];
    for (let i = 1; i < levels.length; i++) lines.push(`${levels[i]}: &${levels[i]} [${Array(10).fill(`*${levels[i - 1]}`).join(', ')}]`);
    const started = performance.now();
    const result = await validate({ 'prompts/bomb.yaml': `${lines.join('\n')}\n` });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.stderr).toMatch(/prompts\/bomb\.yaml:\d+:\d+ error \[alias-limit\]/);
    expect(result.code).toBe(1);
    expectNoCrash(result);
  });

  it('refuses an alias inside the node it names (a value containing itself) at the alias, without recursing forever', async () => {
    // Found by test/fuzz-validate.test.ts: validate died with "Maximum call stack size exceeded" (exit 3).
    const result = await validate(prompt('status: approved\n', 'status: approved\ntags: &loop\n  - *loop\n'));
    expectDiagnostic(result, { exit: 1, code: 'alias-limit', file: 'prompts/greet.yaml', line: 5, col: 5 });
    expect(result.stderr).toContain('alias refers to a node that contains it');
  });

  it('a collection used as a key is a schema error, and nothing is printed behind the output\'s back', async () => {
    // Found by the fuzz: the yaml package printed "Warning: Keys with collection values will be stringified" to stderr.
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on('warning', listen);
    try {
      const result = await validate(prompt('status: approved\n', 'status: approved\n? [a]\n: 1\n'));
      // Located at the document (locate finds scalar keys only); the message names the key.
      expectDiagnostic(result, { exit: 1, code: 'schema', file: 'prompts/greet.yaml', line: 2, col: 1 });
      expect(result.stderr).toContain('unknown key "[ a ]"');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.message)).toEqual([]);
    } finally {
      process.off('warning', listen);
    }
  });

  it('refuses a file over limits.max_file_bytes', async () => {
    const big = `${PROMPT_YAML}# ${'x'.repeat(4096)}\n`;
    expect(Buffer.byteLength(big)).toBeGreaterThan(4096);
    const result = await validate({ 'promptops.config.yaml': `${CONFIG_YAML}limits:\n  max_file_bytes: 2048\n`, 'prompts/greet.yaml': big });
    expectDiagnostic(result, { exit: 1, code: 'file-too-large', file: 'prompts/greet.yaml', line: 1, col: 1 });
    expect(result.stderr).toContain('2048');
  });

  it('reports invalid UTF-8 at the line and column of the bad byte', async () => {
    const [before, after] = PROMPT_YAML.split('a user.') as [string, string];
    const bytes = Buffer.concat([Buffer.from(`${before}a `), Buffer.from([0xff, 0xfe]), Buffer.from(`user.${after}`)]);
    // Line 4 is `description: Greets a <0xff><0xfe>user.`; the bad byte is the 23rd.
    const result = await validate({ 'prompts/greet.yaml': bytes });
    expectDiagnostic(result, { exit: 1, code: 'invalid-utf8', file: 'prompts/greet.yaml', line: 4, col: 23 });
    expect(result.stderr).toContain('0xff');
  });

  it.each(['__proto__', 'constructor'])('refuses a "%s" key and does not pollute prototypes', async (key) => {
    const result = await validate(prompt('status: approved\n', `status: approved\n${key}:\n  polluted: true\n`));
    expectDiagnostic(result, { exit: 1, code: 'forbidden-key', file: 'prompts/greet.yaml', line: 4, col: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports duplicate ids from prompts/a.yaml and prompts/a.yml', async () => {
    const result = await validate({ 'prompts/a.yaml': PROMPT_YAML, 'prompts/a.yml': PROMPT_YAML });
    expect(result.stderr).toMatch(/prompts\/a\.ya?ml:1:1 error \[duplicate-id\] .*prompts\/a\.ya?ml/);
    expect(result.stderr).toContain('prompts/a.yaml');
    expect(result.stderr).toContain('prompts/a.yml');
    expect(result.code).toBe(1);
    expectNoCrash(result);
  });

  it('reports an empty repository', async () => {
    const result = await run(['validate', '--root', repo({ 'promptops.config.yaml': CONFIG_YAML })]);
    expect(result.stderr).toContain('error [empty-repository]');
    expect(result.code).toBe(1);
    expectNoCrash(result);
  });
});

describe('validate: schema', () => {
  it('a feature whose prompts is a mapping is a schema error, not a crash of the prompts\' test checks', async () => {
    // Found by test/fuzz-validate.test.ts: "f.data.prompts?.includes is not a function" (exit 3).
    const result = await validate({
      ...feature('prompts:\n  - greet\n', 'prompts:\n  greet: 1\n'),
      'prompts/greet.yaml': `${PROMPT_YAML}tests:\n  - name: hello\n    vars: {name: Ada}\n    assert:\n      - {type: contains, target: prompt, value: Ada}\n`,
    });
    expectDiagnostic(result, { exit: 1, code: 'schema', file: 'features/greeter.yaml', line: 5, col: 3 });
  });

  it('reports an unknown key at the key, with a "did you mean" hint', async () => {
    const result = await validate(prompt('description: Greets', 'descripton: Greets'));
    expectDiagnostic(result, { exit: 1, code: 'schema', file: 'prompts/greet.yaml', line: 4, col: 1 });
    expect(result.stderr).toContain('unknown key "descripton"');
    expect(result.stderr).toContain('did you mean "description"?');
  });

  it('reports a value of the wrong type at the value', async () => {
    const result = await validate(prompt('version: 1', 'version: "one"'));
    expectDiagnostic(result, { exit: 1, code: 'schema', file: 'prompts/greet.yaml', line: 2, col: 10 });
    expect(result.stderr).toMatch(/version: must be an integer/);
  });
});

describe('validate: repository config', () => {
  const config = (url: string) => ({ 'promptops.config.yaml': `${CONFIG_YAML}store:\n  url: ${url}\n` });

  it('refuses a password in store.url, at the value, without printing it', async () => {
    for (const url of ['postgres://deploy:hunter2@db.internal/prompts', 'postgres://deploy@db.internal/prompts?password=hunter2']) {
      const result = await validate(config(url));
      expectDiagnostic(result, { exit: 1, code: 'secret-in-config', file: 'promptops.config.yaml', line: 11, col: 8 });
      expect(result.stderr).toContain('set PGPASSWORD where publish and serve run');
      expect(result.stderr).not.toContain('hunter2');
      expect(result.stderr).toContain('***');
    }
  });

  it('accepts a store URL without a password, and names the supported stores for anything else', async () => {
    for (const url of ['postgres://deploy@db.internal/prompts', 'file://.promptops/store']) expect((await validate(config(url))).code).toBe(0);
    const result = await validate(config('s3://bucket/bundles'));
    expectDiagnostic(result, { exit: 1, code: 'unsupported-store', file: 'promptops.config.yaml', line: 11, col: 8 });
    expect(result.stderr).toContain('use file://relative/path, file:///absolute/path or postgres://user@host/database');
  });
});

describe('validate: references', () => {
  it('refuses a partial path that escapes the repository', async () => {
    const result = await validate(prompt('{{> tone}}', '{{> ../../x}}'));
    expectDiagnostic(result, { exit: 1, code: 'partial-escape', file: 'prompts/greet.yaml', line: 10, col: 3 });
  });

  it('reports a feature listing an unknown prompt', async () => {
    const result = await validate(feature('  - greet\n', '  - greet\n  - farewell\n'));
    expectDiagnostic(result, { exit: 1, code: 'unknown-prompt', file: 'features/greeter.yaml', line: 6, col: 5 });
  });

  it('reports an unknown partial, suggesting the closest one', async () => {
    const result = await validate(prompt('{{> tone}}', '{{> nope}}'));
    expectDiagnostic(result, { exit: 1, code: 'unknown-partial', file: 'prompts/greet.yaml', line: 10, col: 3 });
  });

  it('reports an unknown model with a "did you mean" hint', async () => {
    const result = await validate(feature('  staging:\n    model: openai/gpt-6-luna', '  staging:\n    model: openai/gpt-6-lunar'));
    expectDiagnostic(result, { exit: 1, code: 'unknown-model', file: 'features/greeter.yaml', line: 10, col: 12 });
    expect(result.stderr).toContain('did you mean "openai/gpt-6-luna"?');
  });
});

describe('validate: templates', () => {
  it('reports a call to an unknown helper', async () => {
    const result = await validate(prompt('{{name}}', '{{shout name}}'));
    expectDiagnostic(result, { exit: 1, code: 'unknown-helper', file: 'prompts/greet.yaml', line: 11, col: 18 });
  });

  it('maps a Handlebars syntax error inside a block scalar to its YAML line', async () => {
    // The template's third line (`Say hello to {{name}.`) is line 12 of the YAML file.
    const result = await validate(prompt('  Say hello to {{name}}.', '  Line two.\n  Say hello to {{name}.'));
    expect(result.stderr).toMatch(/prompts\/greet\.yaml:12:\d+ error \[template-syntax\]/);
    expect(result.code).toBe(1);
    expectNoCrash(result);
  });

  it('reports an undeclared variable as an error', async () => {
    const result = await validate(prompt('{{name}}.', '{{name}} from {{city}}.'));
    expectDiagnostic(result, { exit: 1, code: 'undeclared-variable', file: 'prompts/greet.yaml', line: 11, col: 32 });
  });

  it('reports a declared but unused variable as a warning only', async () => {
    const result = await validate(prompt('variables:\n', 'variables:\n  city:\n    type: string\n'));
    expectDiagnostic(result, { exit: 0, code: 'unused-variable', file: 'prompts/greet.yaml', line: 6, col: 3, severity: 'warning' });
    expect(result.stderr).not.toMatch(/ error \[/);
  });
});

describe('validate: no cascading diagnostics', () => {
  it('a prompt file that fails to parse is not also reported as unknown by the feature using it', async () => {
    const result = await validate(prompt('status: approved\n', 'status: approved: yes\n'));
    expect(result.stderr).toContain('[yaml-syntax]');
    expect(result.stderr).not.toContain('[unknown-prompt]');
  });

  it('a template that does not parse does not also report its variables as unused', async () => {
    const result = await validate(prompt('{{name}}.', '{{name}.'));
    expect(result.stderr).toContain('[template-syntax]');
    expect(result.stderr).not.toContain('[unused-variable]');
  });
});

describe('validate: experiments and models', () => {
  const experiment = (weights: [number, number]) => `# yaml-language-server: $schema=../schemas/experiment.schema.json
name: greet-tone
feature: greeter
type: a_b_test
status: running
variants:
  - name: control
    weight: ${weights[0]}
  - name: warmer
    weight: ${weights[1]}
`;

  it('accepts weights summing to 1', async () => {
    const result = await validate({ 'experiments/greet-tone.yaml': experiment([0.5, 0.5]) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('reports experiment weights that do not sum to 1 (or 100)', async () => {
    const result = await validate({ 'experiments/greet-tone.yaml': experiment([0.5, 0.4]) });
    expectDiagnostic(result, { exit: 1, code: 'weights-sum', file: 'experiments/greet-tone.yaml', line: 7, col: 3 });
  });

  const today = todayUtc();
  const deprecated = Object.entries(BUILTIN_CATALOG.models ?? {}).filter(([, m]) => m.status === 'deprecated' && m.sunset);
  const retired = deprecated.find(([, m]) => m.sunset! <= today)?.[0];
  const retiring = deprecated.find(([, m]) => m.sunset! > today)?.[0];
  const inProduction = (model: string) => feature('  production:\n    model: openai/gpt-6-luna', `  production:\n    model: ${model}`);

  it('reports a deprecated model past its sunset on an active feature as an error', async () => {
    expect(retired, `the built-in catalog has no deprecated model retired by ${today}`).toBeDefined();
    const result = await validate(inProduction(retired!));
    expectDiagnostic(result, { exit: 1, code: 'model-deprecated', file: 'features/greeter.yaml', line: 12, col: 12 });
  });

  it('warns about a deprecated model whose sunset is still ahead', async () => {
    expect(retiring, `the built-in catalog has no deprecated model retiring after ${today}`).toBeDefined();
    const result = await validate(inProduction(retiring!));
    expectDiagnostic(result, { exit: 0, code: 'model-deprecated', file: 'features/greeter.yaml', line: 12, col: 12, severity: 'warning' });
  });
});

describe('validate: usage errors', () => {
  it('exits 2 on an unknown flag', async () => {
    const result = await validate({}, ['--bogus']);
    expect(result.stderr).toContain('--bogus');
    expect(result.code).toBe(2);
    expectNoCrash(result);
  });

  it('exits 2 when --root does not exist', async () => {
    const missing = `${repo({})}/does-not-exist`;
    const result = await run(['validate', '--root', missing]);
    expect(result.stderr).toContain('does-not-exist');
    expect(result.code).toBe(2);
    expectNoCrash(result);
  });
});

describe('validate: output formats', () => {
  it('--json prints a parseable report with ok, errors and located diagnostics', async () => {
    const result = await validate(prompt('{{name}}', '{{shout name}}'), ['--json']);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, errors: 1 });
    expect(report.diagnostics).toEqual([
      expect.objectContaining({ code: 'unknown-helper', severity: 'error', file: 'prompts/greet.yaml', line: 11, col: 18 }),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
  });

  it('--format github prints workflow annotations', async () => {
    // An unknown helper (error, line 13 once `city` is declared) and an unused variable (warning).
    const text = edit(edit(PROMPT_YAML, '{{name}}', '{{shout name}}'), 'variables:\n', 'variables:\n  city:\n    type: string\n');
    const result = await validate({ 'prompts/greet.yaml': text }, ['--format', 'github']);
    const lines = result.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^::error file=prompts\/greet\.yaml,line=13,col=18[,:].*unknown helper "shout"/));
    expect(lines).toContainEqual(expect.stringMatching(/^::warning file=prompts\/greet\.yaml,line=6,col=3[,:].*variable "city"/));
    expect(result.code).toBe(1);
  });
});

describe('validate: fast and positioned parsing agree', () => {
  it('reports the same located error whether or not the file takes the fast path', async () => {
    // Aliases force the positioned parser for the whole file; the plain file takes the fast path first.
    const plain = PROMPT_YAML.replace('status: approved', 'status: aproved');
    const withAlias = plain.replace('description: Greets a user.', 'description: &d Greets a user.\ntags: [*d]');
    const a = await run(['validate', '--root', repo(minimalRepo({ 'prompts/greet.yaml': plain }))]);
    const b = await run(['validate', '--root', repo(minimalRepo({ 'prompts/greet.yaml': withAlias }))]);
    expect(a.code).toBe(1);
    expect(b.code).toBe(1);
    expect(a.stderr).toContain('prompts/greet.yaml:3:9 error [schema] status: "aproved" is not one of');
    expect(b.stderr).toContain('prompts/greet.yaml:3:9 error [schema] status: "aproved" is not one of');
  });

  it('treats YAML 1.2 scalars the same on both paths (dates stay strings, no merge keys)', async () => {
    const dated = PROMPT_YAML.replace('version: 1\n', 'version: 1\nchangelog:\n  - { version: 1, note: First., date: 2026-01-01 }\n');
    const result = await run(['validate', '--root', repo(minimalRepo({ 'prompts/greet.yaml': dated }))]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
