import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { evalRepo, localEnv } from './helpers/eval-repo.js';
import { startOpenAIServer } from './helpers/openai-server.js';
import { CONFIG_YAML, FEATURE_YAML, minimalRepo, PROMPT_YAML, repo, run, type RunResult } from './helpers/repo.js';

// Issue 14, point 6: map keys outside their pattern, and the regexes and JSON Schemas users write,
// used to pass validate unchecked and crash validate, compile or render later (exit 3 and a stack).

const STACK_FRAME = /^\s*at\s+\S.*:\d+:\d+\)?$/m;

function expectClean(result: RunResult): void {
  const output = `${result.stdout}\n${result.stderr}`;
  expect(output).not.toMatch(STACK_FRAME);
  expect(output).not.toContain('internal error');
}

/** Replaces exactly one occurrence, so a fixture edit that silently does nothing fails the test. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

async function validate(overrides: Parameters<typeof minimalRepo>[0]): Promise<{ root: string; result: RunResult }> {
  const root = repo(minimalRepo(overrides));
  return { root, result: await run(['validate', '--root', root]) };
}

/** The one error of the output: `file:line:col error [code] message`. */
function expectOnlyError(result: RunResult, where: string, code: string, message: string | RegExp): void {
  expectClean(result);
  expect(result.code).toBe(1);
  const errors = result.stderr.split('\n').filter((l) => / error \[/.test(l));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(`${where} error [${code}]`);
  expect(errors[0]).toMatch(message);
}

describe('map keys outside their pattern are errors at the key', () => {
  it('a feature environment key that is no slug (was: Cannot read properties of undefined)', async () => {
    // FEATURE_YAML: line 13 is the new key, at column 3.
    const { result } = await validate({ 'features/greeter.yaml': `${FEATURE_YAML}  prod/x: 1\n` });
    expectOnlyError(result, 'features/greeter.yaml:13:3', 'schema', 'environments: key "prod/x" is not a lowercase slug');
    expect(result.stderr).toContain('hint: rename it to "prod-x"');
  });

  it('a catalog models key that is no model reference (was: Cannot read properties of undefined)', async () => {
    const { result } = await validate({ 'features/_models.yaml': 'models:\n  notaref: 1\n' });
    expectOnlyError(result, 'features/_models.yaml:2:3', 'schema', 'models: key "notaref" is not a model reference');
  });

  it('a catalog provider key, a traffic key, a config environment key and a variable name (were accepted silently)', async () => {
    const cases: [Parameters<typeof minimalRepo>[0], string, string][] = [
      [{ 'features/_models.yaml': 'providers:\n  "My Provider": {type: openai}\n' }, 'features/_models.yaml:2:3', 'providers: key "My Provider" is not a lowercase slug'],
      [{ 'features/greeter.yaml': `${FEATURE_YAML}traffic:\n  greet: 10\n  "Greet Me": 3\n` }, 'features/greeter.yaml:15:3', 'traffic: key "Greet Me" is not a prompt id'],
      [{ 'promptops.config.yaml': `${CONFIG_YAML}  "QA Env":\n    publish: [approved]\n` }, 'promptops.config.yaml:10:3', 'environments: key "QA Env" is not a lowercase slug'],
      [{ 'prompts/greet.yaml': edit(PROMPT_YAML, 'variables:\n', 'variables:\n  first-name:\n    type: string\n    required: false\n') }, 'prompts/greet.yaml:6:3', 'variables: key "first-name" is not an identifier'],
    ];
    for (const [overrides, where, message] of cases) {
      const { result } = await validate(overrides);
      expectOnlyError(result, where, 'schema', message);
    }
  });
});

describe('user-written regexes and JSON Schemas are compiled by validate', () => {
  const withVariable = (declaration: string) => ({
    'prompts/greet.yaml': edit(PROMPT_YAML, '    description: First name of the user.\n', `    description: First name of the user.\n${declaration}`),
  });

  it('an invalid variable pattern is invalid-pattern at the pattern, and render no longer crashes on it', async () => {
    for (const pattern of ['"("', '"\\\\p{Foo}"']) {
      const { root, result } = await validate(withVariable(`    pattern: ${pattern}\n`));
      expectOnlyError(result, 'prompts/greet.yaml:9:14', 'invalid-pattern', /variable "name": invalid regular expression .*: (Unterminated group|Invalid property name)/);
      const rendered = await run(['render', 'greet', '--root', root, '--vars', '{"name":"Ada"}']);
      expectClean(rendered);
      expect(rendered.code).toBe(1);
    }
  });

  it('a pattern with a repetition bound past 2^31 is refused at once (recheck\'s analyser died on it and validate hung)', async () => {
    // Found by test/fuzz-validate.test.ts (a number in a pattern replaced with a 30-digit one).
    const started = performance.now();
    const { result } = await validate(withVariable('    pattern: "^[a-z]{123456789012345678901234567890}$"\n'));
    expect(performance.now() - started).toBeLessThan(5_000);
    expectOnlyError(result, 'prompts/greet.yaml:9:14', 'invalid-pattern', 'has a repetition bound of 10 digits or more');
    // The message says how to fix it; the syntax hint would mislead.
    expect(result.stderr).not.toContain('without the surrounding slashes');
  });

  it('an invalid nested items schema is invalid-schema at the bad keyword, and render no longer crashes on it', async () => {
    const tree = {
      'prompts/greet.yaml': edit(
        edit(PROMPT_YAML, 'variables:\n', 'variables:\n  tags:\n    type: array\n    items:\n      type: strng\n'),
        'Say hello to {{name}}.',
        'Say hello to {{name}}.{{#each tags}} #{{this}}{{/each}}',
      ),
    };
    const { root, result } = await validate(tree);
    expectOnlyError(result, 'prompts/greet.yaml:9:13', 'invalid-schema', 'variable "tags": invalid JSON Schema: items.type: must be equal to one of the allowed values');
    const rendered = await run(['render', 'greet', '--root', root, '--vars', '{"name":"Ada","tags":["a"]}']);
    expectClean(rendered);
    expect(rendered.code).toBe(1);
  });

  it('an invalid pattern inside nested properties is located at that pattern', async () => {
    const tree = {
      'prompts/greet.yaml': edit(
        edit(PROMPT_YAML, 'variables:\n', 'variables:\n  user:\n    type: object\n    properties:\n      id:\n        type: string\n        pattern: "[a-"\n'),
        'Say hello to {{name}}.',
        'Say hello to {{name}} ({{user.id}}).',
      ),
    };
    const { result } = await validate(tree);
    expectOnlyError(result, 'prompts/greet.yaml:11:18', 'invalid-schema', 'variable "user": properties.id.pattern: invalid regular expression "[a-"');
  });

  it('an invalid response_format schema in a prompt, a feature environment and an experiment variant', async () => {
    const promptTree = { 'prompts/greet.yaml': `${PROMPT_YAML}model:\n  response_format:\n    type: json_schema\n    schema:\n      type: object\n      required: yes\n` };
    const { result: inPrompt } = await validate(promptTree);
    expectOnlyError(inPrompt, 'prompts/greet.yaml:17:17', 'invalid-schema', 'response_format: invalid JSON Schema: required: must be array');

    const featureTree = {
      'features/greeter.yaml': edit(FEATURE_YAML, '  staging:\n    model: openai/gpt-6-luna\n', '  staging:\n    model: openai/gpt-6-luna\n    params:\n      response_format:\n        type: json_schema\n        schema: {minLength: -1}\n'),
    };
    const { result: inFeature } = await validate(featureTree);
    expectOnlyError(inFeature, 'features/greeter.yaml:14:29', 'invalid-schema', 'response_format: invalid JSON Schema: minLength: must be >= 0');

    const experiment = `name: tone
feature: greeter
type: parameter_tuning
status: draft
variants:
  - name: control
    weight: 0.5
  - name: json
    weight: 0.5
    params:
      response_format:
        type: json_schema
        schema:
          type: object
          patternProperties:
            "(": {}
`;
    const { result: inExperiment } = await validate({ 'experiments/tone.yaml': experiment });
    expectOnlyError(inExperiment, 'experiments/tone.yaml:16:13', 'invalid-schema', 'response_format: patternProperties: invalid regular expression "("');
  });

  it('an invalid json-schema assertion value is an assertion error at the bad keyword (was: only its shape checked)', async () => {
    const tree = { 'prompts/greet.yaml': `${PROMPT_YAML}tests:\n  - name: shape\n    vars: {name: Ada}\n    assert:\n      - type: json-schema\n        value:\n          type: object\n          properties: []\n` };
    const { result } = await validate(tree);
    expectOnlyError(result, 'prompts/greet.yaml:19:23', 'assertion', 'json-schema: invalid JSON Schema: properties: must be object');
  });

  it('valid user schemas and patterns pass, also two schemas with the same $id', async () => {
    const tree = {
      'prompts/greet.yaml': `${edit(PROMPT_YAML, '    description: First name of the user.\n', '    description: First name of the user.\n    pattern: "^\\\\p{L}+$"\n')}model:\n  response_format:\n    type: json_schema\n    schema: {$id: "https://example.com/out", type: object}\ntests:\n  - name: shape\n    vars: {name: Ada}\n    assert:\n      - type: json-schema\n        value: {$id: "https://example.com/out", type: string}\n`,
    };
    const { result } = await validate(tree);
    expectClean(result);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('user JSON Schemas in eval', () => {
  it('two json-schema assertions with the same $id are each checked against their own schema', async () => {
    const server = await startOpenAIServer({ chat: () => ({ content: '{"n": 1}', usage: { prompt_tokens: 10, completion_tokens: 3 } }) });
    onTestFinished(() => server.close());
    const dir = evalRepo(`  - name: object
    vars: { question: q }
    assert:
      - type: json-schema
        value: { $id: "https://example.com/answer", type: object, required: [n] }
  - name: string
    vars: { question: q }
    assert:
      - type: json-schema
        value: { $id: "https://example.com/answer", type: string }
`);
    const out = join(dir, 'results.json');
    const result = await run(['eval', '--env', 'production', '--output', out], { cwd: dir, env: localEnv(server.url) });
    expectClean(result);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { results: { test: string; status: string; assertions: { pass: boolean; reason: string; error?: boolean }[] }[] };
    const byName = Object.fromEntries(file.results.map((r) => [r.test, r]));
    // {"n": 1} is an object with n: the first passes; it is no string: the second fails (not errors).
    expect(byName.object).toMatchObject({ status: 'pass' });
    expect(byName.string!.status).toBe('fail');
    expect(byName.string!.assertions[0]!.error).toBeUndefined();
    expect(result.code).toBe(1);
  });
});
