import { describe, expect, it } from 'vitest';
import { evalRepo } from './helpers/eval-repo.js';
import { minimalRepo, repo, run } from './helpers/repo.js';

/**
 * Reads a workflow command the way the GitHub runner does (actions/runner ActionCommand):
 * `::name k=v,k=v::data`, properties split on "," and "=", then unescaped.
 */
function parseCommand(line: string): { name: string; props: Record<string, string>; data: string } {
  const match = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  if (!match) throw new Error(`not a workflow command: ${line}`);
  const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
  const props = Object.fromEntries(match[2]!.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    return [kv.slice(0, eq), unescapeProperty(kv.slice(eq + 1))];
  }));
  return { name: match[1]!, props, data: unescapeData(match[3]!) };
}

describe('--format github workflow commands', () => {
  it('eval escapes "," and ":" in the title and file properties, so the runner reads them back whole', async () => {
    const name = 'refund, EU: 30% off';
    const dir = evalRepo(`  - name: "${name}"\n    vars: { question: q }\n    assert: [{ type: contains, target: prompt, value: "nope, not: here" }]\n`);
    const r = await run(['eval', '--env', 'production', '--provider', 'offline', '--format', 'github'], { cwd: dir });
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.startsWith('::'))!;
    // A raw "," would end the title property early and ":" is reserved in properties.
    expect(line).toMatch(/^::error file=prompts\/answer\.yaml,line=\d+,title=eval fail%3A answer › refund%2C EU%3A 30%25 off::contains: prompt/);
    const parsed = parseCommand(line);
    expect(parsed.props).toEqual({ file: 'prompts/answer.yaml', line: expect.stringMatching(/^\d+$/), title: `eval fail: answer › ${name}` });
    // Message data escapes only %, CR and LF: its ":" and "," stay as written.
    expect(parsed.data).toBe('contains: prompt does not contain "nope, not: here" (got "You answer questions about Lumen. q", 36 chars)');
  });

  it('validate uses the same escaping for files whose names hold "," or ":"', async () => {
    const dir = repo(minimalRepo({ 'prompts/a,b:c.yaml': 'version: 1\nstatus: approved\ntemplate: hi\n' }));
    const r = await run(['validate', '--format', 'github'], { cwd: dir });
    const parsed = parseCommand(r.stdout.split('\n').find((l) => l.includes('invalid-id'))!);
    expect(parsed.props.file).toBe('prompts/a,b:c.yaml');
    expect(parsed.props.title).toBe('promptops [invalid-id]');
  });
});
