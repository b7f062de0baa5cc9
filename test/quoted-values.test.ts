import { describe, expect, it } from 'vitest';
import { VariableError } from '../src/runtime/index.js';
import { compileRepo, fileClient } from './helpers/runtime-bundle.js';
import { FEATURE_YAML, minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';

/** A long value of the file: messages may quote its start, never all of it. */
const LONG = `start-${'x'.repeat(4000)}-THE-END`;

interface JsonDiagnostic {
  code: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

async function diagnosticsOf(tree: Record<string, string | undefined>): Promise<JsonDiagnostic[]> {
  const result = await run(['validate', '--json'], { cwd: repo(minimalRepo(tree)) });
  expect(result.code).toBe(1);
  return JSON.parse(result.stdout).diagnostics as JsonDiagnostic[];
}

/** The quoted start of a value as a message shows it, and nothing of its end. */
function expectCapped(d: JsonDiagnostic | undefined, value = LONG): void {
  expect(d).toBeDefined();
  expect(d!.message).toContain('"start-xxx');
  expect(d!.message).not.toContain('THE-END');
  expect(d!.message.length).toBeLessThan(200);
  expect(d!.message).toContain(`(${value.length} characters)`);
}

describe('values quoted back in messages are capped', () => {
  it('a file that is one long text (a type error on the whole document)', async () => {
    const diagnostics = await diagnosticsOf({ 'features/greeter.yaml': `${LONG}\n` });
    expectCapped(diagnostics.find((d) => d.code === 'schema' && d.file === 'features/greeter.yaml'));
  });

  it('a long value that is not in an enum', async () => {
    const diagnostics = await diagnosticsOf({ 'features/greeter.yaml': FEATURE_YAML.replace('status: active', `status: ${LONG}`) });
    expectCapped(diagnostics.find((d) => d.code === 'schema' && d.message.startsWith('status:')));
  });

  it('a long value that does not match a pattern', async () => {
    const diagnostics = await diagnosticsOf({ 'features/greeter.yaml': FEATURE_YAML.replace('  - greet', `  - ${LONG}`) });
    expectCapped(diagnostics.find((d) => d.code === 'schema' && d.message.startsWith('prompts[0]:')));
  });

  it('a long unknown key', async () => {
    // YAML allows implicit keys up to 1024 characters.
    const key = `start-${'x'.repeat(900)}-THE-END`;
    const diagnostics = await diagnosticsOf({ 'features/greeter.yaml': FEATURE_YAML.replace('status: active', `status: active\n${key}: 1`) });
    expectCapped(diagnostics.find((d) => d.code === 'schema'), key);
  });

  it('long assertion values: a number that is text, a javascript path that does not exist', async () => {
    const prompt = `${PROMPT_YAML}tests:\n  - name: t\n    vars: { name: Ada }\n    assert:\n      - type: max-tokens\n        value: ${LONG}\n      - type: javascript\n        value: ${LONG}.js\n`;
    const diagnostics = (await diagnosticsOf({ 'prompts/greet.yaml': prompt })).filter((d) => d.code === 'assertion');
    expect(diagnostics.map((d) => d.message.split(':')[0])).toEqual(['max-tokens', 'javascript']);
    expectCapped(diagnostics[0]);
    expectCapped(diagnostics[1], `${LONG}.js`);
  });

  it('a long variable value of the wrong type or outside its enum (render)', async () => {
    const prompt = PROMPT_YAML.replace('    description: First name of the user.\n', '    description: First name of the user.\n  count:\n    type: integer\n  tone:\n    type: string\n    enum: [warm, dry]\n').replace('Say hello to {{name}}.', 'Say hello to {{name}} {{count}} times, {{tone}}.');
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': prompt }));
    for (const vars of [{ name: 'Ada', count: LONG, tone: 'warm' }, { name: 'Ada', count: 2, tone: LONG }]) {
      const result = await run(['render', 'greet', '--vars', JSON.stringify(vars), '--json'], { cwd: dir });
      expect(result.code).toBe(1);
      const diagnostics = JSON.parse(result.stdout).diagnostics as JsonDiagnostic[];
      expect(diagnostics).toHaveLength(1);
      expectCapped(diagnostics[0]);
    }
  });

  it('a long test name used twice', async () => {
    const prompt = `${PROMPT_YAML}tests:\n  - name: ${LONG}\n    vars: { name: Ada }\n    assert: [{ type: contains, value: Ada }]\n  - name: ${LONG}\n    vars: { name: Bob }\n    assert: [{ type: contains, value: Bob }]\n`;
    const diagnostics = await diagnosticsOf({ 'prompts/greet.yaml': prompt });
    expectCapped(diagnostics.find((d) => d.code === 'duplicate-test'));
  });

  it('the runtime client caps a long variable value in its errors too', async () => {
    const prompt = PROMPT_YAML.replace('    description: First name of the user.\n', '    description: First name of the user.\n  tone:\n    type: string\n    enum: [warm, dry]\n').replace('Say hello to {{name}}.', 'Say hello to {{name}}, {{tone}}.');
    const client = await fileClient(compileRepo(repo(minimalRepo({ 'prompts/greet.yaml': prompt })), 'production').compiled);
    let caught: unknown;
    try {
      client.render('greet', { name: 'Ada', tone: LONG });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VariableError);
    const message = (caught as Error).message;
    expect(message).toContain('"start-xxx');
    expect(message).not.toContain('THE-END');
    expect(message).toContain(`(${LONG.length} characters)`);
  });
});
