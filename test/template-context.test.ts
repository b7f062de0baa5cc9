import { describe, expect, it } from 'vitest';
import { minimalRepo, repo, run, type RunResult } from './helpers/repo.js';

/**
 * `{{plan}}` inside `{{#each items}}` reads `plan` from the item, not the prompt variable: strict
 * rendering throws. `validate` must say so where it is written, with the fix.
 */

const VARIABLES = `variables:
  plan:
    type: string
    description: The customer's plan.
  items:
    type: array
    description: Line items.
    items:
      type: object
      properties:
        title: { type: string }
        name: { type: string }
`;

/** A prompt file whose template is `template` (one line per element), with `variables` as given. */
function promptYaml(template: string[], variables = VARIABLES): string {
  return `# yaml-language-server: $schema=../schemas/prompt.schema.json
version: 1
status: approved
description: Lists the items of an order.
${variables}template: |
${template.map((line) => `  ${line}`).join('\n')}
`;
}

const withPrompt = (yaml: string, extra: Record<string, string> = {}) => repo(minimalRepo({ 'prompts/greet.yaml': yaml, ...extra }));
const validate = (root: string, ...flags: string[]) => run(['validate', '--root', root, ...flags]);
const render = (root: string, vars: unknown) => run(['render', 'greet', '--root', root, '--vars', JSON.stringify(vars), '--json']);

/** 1-based line and column of the `occurrence`-th `needle` in `text`, computed from the text itself. */
function position(text: string, needle: string, occurrence = 1): { line: number; col: number } {
  let index = -1;
  for (let i = 0; i < occurrence; i++) index = text.indexOf(needle, index + 1);
  expect(index, `"${needle}" #${occurrence} in the fixture`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** Diagnostics of one code from `validate --json`. */
async function slips(root: string): Promise<{ result: RunResult; found: { severity: string; file: string; line: number; col: number; message: string; hint?: string }[] }> {
  const result = await validate(root, '--json');
  const report = JSON.parse(result.stdout);
  return { result, found: report.diagnostics.filter((d: { code: string }) => d.code === 'context-slip') };
}

const VARS = { plan: 'Pro', items: [{ title: 'Lens', name: 'l1' }, { title: 'Tripod', name: 't1' }] };

describe('validate: prompt variables read inside {{#each}} / {{#with}}', () => {
  it('reports {{plan}} inside {{#each items}} at its file:line:col with the fix, and exits 1', async () => {
    const yaml = promptYaml(['Plan {{plan}}.', '{{#each items}}', '- {{title}} on {{plan}}', '{{/each}}']);
    const root = withPrompt(yaml);
    const result = await validate(root);
    const at = position(yaml, 'plan}}', 2);
    expect(result.stderr).toContain(`prompts/greet.yaml:${at.line}:${at.col} error [context-slip] "plan" inside {{#each items}} is read from each item of "items", which declares no property "plan"`);
    expect(result.stderr).toContain('write {{@root.plan}} (or {{../plan}}) to read the prompt variable');
    // The code frame shows the template line.
    expect(result.stderr).toContain('- {{title}} on {{plan}}');
    expect(result.code).toBe(1);

    // What the check prevents: strict rendering fails on the same template.
    const rendered = await render(root, VARS);
    expect(rendered.code).toBe(1);
    expect(JSON.parse(rendered.stdout).diagnostics).toMatchObject([{ code: 'render-error', message: 'value "plan" is not defined' }]);
  });

  it('accepts the fixes, and the fixed template renders the prompt variable for every item', async () => {
    for (const fix of ['{{@root.plan}}', '{{../plan}}']) {
      const root = withPrompt(promptYaml(['{{#each items}}', `- {{title}} on ${fix}`, '{{/each}}']));
      const result = await validate(root);
      expect(result.stderr, fix).toBe('');
      expect(result.code, fix).toBe(0);
      const rendered = await render(root, VARS);
      expect(rendered.code, fix).toBe(0);
      expect(JSON.parse(rendered.stdout).messages[0].content).toBe(VARS.items.map((i) => `- ${i.title} on ${VARS.plan}\n`).join(''));
    }
  });

  it('reports a prompt variable passed to a helper inside the block (rendered as undefined, silently)', async () => {
    const yaml = promptYaml(['{{#each items}}', '{{#if plan}}{{title}} ({{upper plan}}){{/if}}', '{{/each}}']);
    const root = withPrompt(yaml);
    const { result, found } = await slips(root);
    expect(found.map((d) => [d.severity, d.line, d.col])).toEqual([
      ['error', position(yaml, 'plan}}').line, position(yaml, 'plan}}').col],
      ['error', position(yaml, 'plan}})').line, position(yaml, 'plan}})').col],
    ]);
    expect(result.code).toBe(1);
    // Without the check this renders without error and without the plan: the output loses it silently.
    const rendered = await render(root, VARS);
    expect(rendered.code).toBe(0);
    expect(JSON.parse(rendered.stdout).messages[0].content).not.toContain('Pro');
  });

  it('allows item properties, this, loop data, parent and root paths, helpers and {{else}}', async () => {
    const yaml = promptYaml([
      '{{#each items}}',
      '{{@index}}/{{@first}}/{{@last}} {{this.title}} {{name}} {{title}} {{../plan}} {{@root.plan}} {{upper title}} {{lookup ../items @index}}',
      '{{else}}',
      'No items on {{plan}}.',
      '{{/each}}',
      '{{#each (json items)}}{{@key}}{{/each}}',
    ]);
    const { result, found } = await slips(withPrompt(yaml));
    expect(found).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('treats a block param as a local name, and still reports a prompt variable read on the item', async () => {
    const ok = promptYaml(['{{#each items as |item i|}}', '{{i}}: {{item.title}} on {{@root.plan}}', '{{/each}}']);
    expect((await slips(withPrompt(ok))).found).toEqual([]);
    const slip = promptYaml(['{{#each items as |item|}}', '{{item.title}} on {{plan}}', '{{/each}}']);
    const { result, found } = await slips(withPrompt(slip));
    expect(found.map((d) => [d.severity, d.line, d.col])).toEqual([['error', position(slip, 'plan}}').line, position(slip, 'plan}}').col]]);
    expect(result.code).toBe(1);
  });

  it('reports {{plan}} inside {{#with}} on an object with declared properties', async () => {
    const variables = `${VARIABLES}  account:
    type: object
    description: The account.
    properties:
      tier: { type: string }
`;
    const yaml = promptYaml(['{{#with account}}{{tier}} / {{plan}}{{/with}}', '{{#each items}}{{title}}{{/each}}'], variables);
    const root = withPrompt(yaml);
    const result = await validate(root);
    const at = position(yaml, 'plan}}');
    expect(result.stderr).toContain(`prompts/greet.yaml:${at.line}:${at.col} error [context-slip] "plan" inside {{#with account}} is read from "account", which declares no property "plan"`);
    expect(result.code).toBe(1);
  });

  it('gives the fix with one ../ per enclosing block in nested loops', async () => {
    const variables = `variables:
  plan:
    type: string
  groups:
    type: array
    items:
      type: object
      properties:
        label: { type: string }
        members:
          type: array
          items:
            type: object
            properties:
              email: { type: string }
`;
    const yaml = promptYaml(['{{#each groups}}{{label}}:{{#each members}} {{email}} {{plan}} {{../label}}{{/each}}{{/each}}'], variables);
    const root = withPrompt(yaml);
    const { result, found } = await slips(root);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', ...position(yaml, 'plan}}') });
    expect(found[0]!.message).toContain('inside {{#each members}} is read from each item of "members"');
    expect(found[0]!.hint).toBe('write {{@root.plan}} (or {{../../plan}}) to read the prompt variable');
    expect(result.code).toBe(1);

    const fixed = withPrompt(yaml.replace('{{plan}}', '{{../../plan}}'));
    expect((await validate(fixed)).code).toBe(0);
    const rendered = await render(fixed, { plan: 'Pro', groups: [{ label: 'A', members: [{ email: 'a@x' }, { email: 'b@x' }] }] });
    expect(rendered.code).toBe(0);
    expect(JSON.parse(rendered.stdout).messages[0].content).toBe('A: a@x Pro A b@x Pro A\n');
  });

  it('reports any name read on items that are strings', async () => {
    const variables = `variables:
  plan:
    type: string
  tags:
    type: array
    items: { type: string }
`;
    const yaml = promptYaml(['{{#each tags}}{{this}} {{plan}}{{/each}}'], variables);
    const { result, found } = await slips(withPrompt(yaml));
    expect(found.map((d) => [d.severity, d.line, d.col])).toEqual([['error', position(yaml, 'plan}}').line, position(yaml, 'plan}}').col]]);
    expect(found[0]!.message).toContain('which is a string');
    expect(result.code).toBe(1);
  });

  describe('items whose shape is not declared', () => {
    const variables = `variables:
  plan:
    type: string
  items:
    type: array
    items: { type: object }
`;
    it('warns (exit 0; --strict fails) when a prompt variable\'s name is read on the item', async () => {
      const yaml = promptYaml(['{{#each items}}{{title}} on {{plan}}{{/each}}'], variables);
      const root = withPrompt(yaml);
      const result = await validate(root);
      const at = position(yaml, 'plan}}');
      expect(result.stderr).toContain(`prompts/greet.yaml:${at.line}:${at.col} warning [context-slip]`);
      expect(result.stderr).toContain('if you mean the prompt variable, write {{@root.plan}} (or {{../plan}}); if it is a field of the item, declare it under variables.items.items.properties or write {{this.plan}}');
      // The warning does not also say "plan is unused".
      expect(result.stderr).not.toContain('unused-variable');
      expect(result.code).toBe(0);
      expect((await validate(root, '--strict')).code).toBe(1);
    });

    it('says nothing about names that are not prompt variables, nor about {{this.plan}}', async () => {
      const yaml = promptYaml(['{{#each items}}{{title}} on {{this.plan}}{{/each}} {{plan}}'], variables);
      const { result, found } = await slips(withPrompt(yaml));
      expect(found).toEqual([]);
      expect(result.code).toBe(0);
    });
  });

  it('allows a prompt variable that is also a declared item property', async () => {
    const yaml = promptYaml(['{{#each items}}{{name}}{{/each}} {{plan}}'], VARIABLES.replace('  plan:', '  name:\n    type: string\n  plan:'));
    const { result, found } = await slips(withPrompt(yaml));
    expect(found).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('reports a partial that reads a prompt variable when it is included inside the loop, and accepts passing it', async () => {
    const partial = { 'prompts/_partials/footer.hbs': 'Plan: {{plan}}' };
    const yaml = promptYaml(['{{#each items}}', '{{title}} {{> footer}}', '{{/each}}']);
    const root = withPrompt(yaml, partial);
    const result = await validate(root);
    const at = position(yaml, '{{> footer}}');
    expect(result.stderr).toContain(`prompts/greet.yaml:${at.line}:${at.col} error [context-slip] partial "footer" reads "plan", but it is included inside {{#each items}}`);
    expect(result.stderr).toContain('{{> footer plan=@root.plan}}');
    expect(result.code).toBe(1);
    expect((await render(root, VARS)).code).toBe(1);

    const fixed = withPrompt(yaml.replace('{{> footer}}', '{{> footer plan=@root.plan}}'), partial);
    expect((await validate(fixed)).code).toBe(0);
    const rendered = await render(fixed, VARS);
    expect(rendered.code).toBe(0);
    expect(JSON.parse(rendered.stdout).messages[0].content).toBe(VARS.items.map((i) => `${i.title} Plan: ${VARS.plan}\n`).join(''));
  });

  it('reports a slip inside a partial at the partial file', async () => {
    const partial = { 'prompts/_partials/list.hbs': '{{#each items}}\n- {{title}} ({{plan}})\n{{/each}}\n' };
    const root = withPrompt(promptYaml(['{{> list}}']), partial);
    const result = await validate(root);
    expect(result.stderr).toContain('prompts/_partials/list.hbs:2:16 error [context-slip] "plan" inside {{#each items}}');
    expect(result.code).toBe(1);
  });
});
