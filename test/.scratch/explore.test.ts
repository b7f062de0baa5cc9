import { it } from 'vitest';
import { minimalRepo, repo, run, PROMPT_YAML, FEATURE_YAML, CONFIG_YAML } from '../helpers/repo.js';

const cases: Record<string, Record<string, string | Uint8Array | undefined>> = {
  malformed: { 'prompts/greet.yaml': 'version: 1\nstatus: approved: yes\ntemplate: hi\n' },
  malformed2: { 'prompts/greet.yaml': 'version: 1\nstatus: approved\ntemplate: [hi\n' },
  dup: { 'prompts/greet.yaml': PROMPT_YAML.replace('status: approved\n', 'status: approved\nstatus: draft\n') },
  unknown: { 'prompts/greet.yaml': PROMPT_YAML.replace('description:', 'descripton:') },
  wrongtype: { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: "one"') },
  proto: { 'prompts/greet.yaml': PROMPT_YAML.replace('status: approved\n', 'status: approved\n__proto__:\n  polluted: true\n') },
  ctor: { 'prompts/greet.yaml': PROMPT_YAML.replace('status: approved\n', 'status: approved\nconstructor: x\n') },
  escape: { 'prompts/greet.yaml': PROMPT_YAML.replace('{{> tone}}', '{{> ../../x}}') },
  unknownPrompt: { 'features/greeter.yaml': FEATURE_YAML.replace('  - greet\n', '  - greet\n  - farewell\n') },
  unknownPartial: { 'prompts/greet.yaml': PROMPT_YAML.replace('{{> tone}}', '{{> nope}}') },
  unknownModel: { 'features/greeter.yaml': FEATURE_YAML.replace('  staging:\n    model: openai/gpt-6-luna', '  staging:\n    model: openai/gpt-6-lunar') },
  helper: { 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello to {{name}}.', 'Say hello to {{shout name}}.') },
  syntax: { 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello to {{name}}.', 'Line two.\n  Say hello to {{name}.') },
  undeclared: { 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello to {{name}}.', 'Say hello to {{name}} from {{city}}.') },
  unused: { 'prompts/greet.yaml': PROMPT_YAML.replace('variables:\n', 'variables:\n  city:\n    type: string\n') },
  dupid: { 'prompts/greet.yml': PROMPT_YAML },
  bigfile: { 'promptops.config.yaml': CONFIG_YAML + 'limits:\n  max_file_bytes: 2048\n', 'prompts/greet.yaml': PROMPT_YAML + '# ' + 'x'.repeat(4096) + '\n' },
  utf8: { 'prompts/greet.yaml': Buffer.concat([Buffer.from('version: 1\nstatus: appr'), Buffer.from([0xff, 0xfe]), Buffer.from('oved\n')]) },
};
for (const [name, over] of Object.entries(cases)) {
  it(name, async () => {
    const dir = repo(minimalRepo(over));
    const r = await run(['validate', '--root', dir]);
    console.log(`=== ${name} code=${r.code}\n${r.stderr}\n--- stdout\n${r.stdout}`);
  });
}
it('empty', async () => {
  const dir = repo({ 'promptops.config.yaml': CONFIG_YAML });
  const r = await run(['validate', '--root', dir]);
  console.log(`=== empty code=${r.code}\n${r.stderr}\n${r.stdout}`);
  const r2 = await run(['validate', '--root', dir + '/nope']);
  console.log(`=== noroot code=${r2.code}\n${r2.stderr}\n${r2.stdout}`);
  const r3 = await run(['validate', '--bogus', '--root', dir]);
  console.log(`=== bogus code=${r3.code}\n${r3.stderr}\n${r3.stdout}`);
});
