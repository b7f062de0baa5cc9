import { describe, expect, it } from 'vitest';
import { countChatTokens } from '../src/core/tokens.js';
import { minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';

const withPrompt = (yaml: string) => repo(minimalRepo({ 'prompts/greet.yaml': yaml }));
const render = (root: string, ...args: string[]) => run(['render', 'greet', '--root', root, ...args]);

describe('render', () => {
  it('renders the prompt with its partial, counts tokens and prices the call', async () => {
    const result = await render(repo(minimalRepo()), '--vars', '{"name":"Ada"}', '--env', 'production', '--json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.messages).toEqual([{ role: 'user', content: 'Be warm and brief.\nSay hello to Ada.\n', tokens: expect.any(Number) }]);
    expect(out.model).toBe('openai/gpt-6-luna');
    expect(out.environment).toBe('production');
    // Independent count with the same encoder: content tokens + chat framing.
    const expected = countChatTokens([{ role: 'user', content: out.messages[0].content }]);
    expect(out.tokens.input).toBe(expected.total);
    expect(out.messages[0].tokens).toBe(expected.perMessage[0]);
    expect(out.cost.input_usd).toBeGreaterThan(0);
    expect(out.cost.max_usd).toBeGreaterThan(out.cost.input_usd);
  });

  it('prints messages, tokens and cost per call for humans', async () => {
    const result = await render(repo(minimalRepo()), '--vars', '{"name":"Ada"}');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('greet v1');
    expect(result.stdout).toContain('Say hello to Ada.');
    expect(result.stdout).toMatch(/tokens ~?\d+ input \(o200k_base/);
    expect(result.stdout).toMatch(/cost\/call \$\d+\.\d+ input/);
  });

  it('reads --vars from a YAML file', async () => {
    const root = repo({ ...minimalRepo(), 'vars.yaml': 'name: Grace\n' });
    const result = await run(['render', 'greet', '--root', root, '--vars', `${root}/vars.yaml`, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).messages[0].content).toContain('Say hello to Grace.');
  });

  it('refuses a missing required variable instead of rendering an empty string', async () => {
    const result = await render(repo(minimalRepo()));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error [invalid-variables] missing required variable "name"');
    expect(result.stdout).not.toContain('Say hello to');
  });

  it('refuses undeclared and mistyped variables', async () => {
    const result = await render(repo(minimalRepo()), '--vars', '{"name": 42, "nmae": "x"}');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('variable "name" must be a string, got number 42');
    expect(result.stderr).toContain('variable "nmae" is not declared by the prompt');
    expect(result.stderr).toContain('did you mean "name"?');
  });

  it('applies defaults and keeps optional variables usable in conditions', async () => {
    const yaml = PROMPT_YAML.replace('template: |\n  {{> tone}}\n  Say hello to {{name}}.\n', 'template: |\n  Hi {{name}}{{#if title}}, {{title}}{{/if}}!\n')
      .replace('variables:\n', 'variables:\n  title:\n    type: string\n    required: false\n    description: Title.\n');
    const root = withPrompt(yaml.replace('    description: First name of the user.\n', '    description: First name of the user.\n    default: friend\n'));
    const result = await render(root, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).messages[0].content).toBe('Hi friend!\n');
  });

  it('does not escape HTML: prompts are not web pages', async () => {
    const result = await render(repo(minimalRepo()), '--vars', '{"name":"<b>Tom & Jerry</b>"}', '--json');
    expect(JSON.parse(result.stdout).messages[0].content).toContain('Say hello to <b>Tom & Jerry</b>.');
  });

  it('blocks templates from reaching prototypes', async () => {
    const root = withPrompt(PROMPT_YAML.replace('Say hello to {{name}}.', 'Say hello to {{name.constructor.name}}.'));
    const result = await render(root, '--vars', '{"name":"Ada"}');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/prompts\/greet\.yaml:11:\d+ error \[prototype-access\]/);
    const validate = await run(['validate', '--root', root]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain('[prototype-access]');
  });

  it('exits 2 for an unknown prompt, environment or bad --vars', async () => {
    const root = repo(minimalRepo());
    const unknown = await run(['render', 'gret', '--root', root]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown prompt "gret"');
    expect(unknown.stderr).toContain('did you mean "greet"?');
    expect((await render(root, '--vars', '{"name":"A"}', '--env', 'prod')).code).toBe(2);
    const bad = await render(root, '--vars', '{name:');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--vars is not valid JSON/YAML');
    expect((await render(root, '--vars', 'missing.json')).code).toBe(2);
  });
});

describe('init', () => {
  it('scaffolds a repository that validates cleanly and renders', async () => {
    const dir = repo({});
    const init = await run(['init', dir]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('write prompts/support/answer.yaml');
    const validate = await run(['validate', '--root', dir]);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    const render = await run(['render', 'support/answer', '--root', dir, '--vars', '{"question":"Where is my invoice?"}', '--json']);
    expect(render.code).toBe(0);
    expect(JSON.parse(render.stdout).messages[1].content).toBe('Where is my invoice?');
  });

  it('keeps existing files unless --force', async () => {
    const dir = repo({ 'promptops.config.yaml': 'version: 1\nenvironments:\n  dev: { publish: [draft] }\n' });
    const init = await run(['init', dir]);
    expect(init.stdout).toContain('skip  promptops.config.yaml');
    expect((await run(['init', dir, '--force'])).stdout).toContain('write promptops.config.yaml');
  });
});
