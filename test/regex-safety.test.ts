import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileUserPattern } from '../src/core/user-regex.js';
import { EXAMPLE_ROOT, minimalRepo, repo, run, tempDir } from './helpers/repo.js';
import { evalRepo } from './helpers/eval-repo.js';

/**
 * A user's regex runs on request values and model outputs with JavaScript's backtracking engine; one
 * that can backtrack super-linearly ("^(a+)+$" on 45 characters takes hours) must be refused before
 * it runs, with a located error, and never hang the process.
 */

const promptWithPattern = (variable: string) => `version: 1
status: approved
variables:
${variable}
template: |
  Say hello to {{name}}.
`;

const HOSTILE = `${'a'.repeat(45)}!`;

/** The real CLI in a child process, killed after `timeoutMs`: a hang shows as a kill, not a stuck test worker. */
function cli(args: string[], cwd: string, timeoutMs = 30_000, env: NodeJS.ProcessEnv = {}) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(EXAMPLE_ROOT, 'src/cli/main.ts'), ...args], { cwd: EXAMPLE_ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: timeoutMs });
  return { code: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr, dir: cwd };
}

describe('user-written regexes', () => {
  it('render refuses an exponential variable pattern instead of hanging on a 46-character value', () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWithPattern('  name:\n    type: string\n    pattern: "^(a+)+$"') }));
    const result = cli(['render', 'greet', '--root', dir, '--vars', JSON.stringify({ name: HOSTILE })], dir);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('variable "name" cannot be checked');
    expect(result.stderr).toContain('can take exponential time');
    expect(result.stderr).not.toContain('internal error');
  });

  it('render refuses an exponential pattern inside a nested schema (items) the same way', () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWithPattern('  name:\n    type: string\n  tags:\n    type: array\n    required: false\n    items:\n      type: string\n      pattern: "^(a|aa)+$"') }));
    const result = cli(['render', 'greet', '--root', dir, '--vars', JSON.stringify({ name: 'x', tags: [HOSTILE] })], dir);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('its schema is refused');
    expect(result.stderr).toContain('exponential');
    expect(result.stderr).not.toContain('internal error');
  });

  it('validate reports an exponential variable pattern at the pattern, and compile puts it in no bundle', async () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWithPattern('  name:\n    type: string\n    pattern: "^(\\\\w+\\\\s?)*$"') }));
    const validate = await run(['validate', '--root', dir]);
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/prompts\/greet\.yaml:6:\d+ error \[invalid-pattern\] variable "name": regular expression .* can take exponential time/);
    const out = join(dir, 'out');
    const compile = await run(['compile', '--root', dir, '--out', out]);
    expect(compile.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('a linear pattern still checks values the same way JavaScript does', async () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWithPattern('  name:\n    type: string\n    pattern: "^[A-Z][a-z]+$"') }));
    expect((await run(['render', 'greet', '--root', dir, '--vars', '{"name":"Ada"}'])).code).toBe(0);
    const bad = await run(['render', 'greet', '--root', dir, '--vars', '{"name":"ada"}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('must match /^[A-Z][a-z]+$/');
  });

  it('validate and eval refuse a regex assertion that backtracks exponentially, at its line', async () => {
    const dir = evalRepo(`  - name: hostile
    vars: { question: hi }
    assert:
      - type: regex
        value: "/^(a+)+$/"
`);
    for (const command of ['validate', 'eval']) {
      const result = await run([command, '--root', dir]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/prompts\/answer\.yaml:\d+:\d+/);
      expect(result.stdout + result.stderr).toContain('"^(a+)+$" can take exponential time');
    }
  });

  it('verdicts are kept in the user cache folder, one line per pattern, and a cached refusal is the same refusal', () => {
    const cache = tempDir();
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWithPattern('  name:\n    type: string\n    pattern: "^(b+)+$"\n  code:\n    type: string\n    required: false\n    pattern: "^[A-Z]{2}-[0-9]+$"') }));
    const first = cli(['validate', '--root', dir], dir, 30_000, { XDG_CACHE_HOME: cache });
    const files = readdirSync(join(cache, 'promptops'));
    expect(files).toEqual([expect.stringMatching(/^regex-verdicts-recheck-[\d.]+\.jsonl$/)]);
    const lines = readFileSync(join(cache, 'promptops', files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; verdict: string | null });
    expect(lines).toEqual([
      { key: 'u/^(b+)+$', verdict: expect.stringContaining('can take exponential time') },
      { key: 'u/^[A-Z]{2}-[0-9]+$', verdict: null },
    ]);
    const second = cli(['validate', '--root', dir], dir, 30_000, { XDG_CACHE_HOME: cache });
    expect([first.code, second.code]).toEqual([1, 1]);
    const message = (r: typeof first) => (r.stdout + r.stderr).split('\n').find((l) => l.includes('[invalid-pattern]'));
    expect(message(first)).toContain('"^(b+)+$" can take exponential time');
    expect(message(second)).toBe(message(first));
    expect(readFileSync(join(cache, 'promptops', files[0]!), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('compileUserPattern: polynomial patterns and lookaround are refused, linear ones compiled with their flags', () => {
    const poly = compileUserPattern('\\s+$');
    expect(poly.ok).toBe(false);
    expect(!poly.ok && poly.message).toContain('polynomial (degree 2)');
    const look = compileUserPattern('^(?=.*\\d).{8,}$');
    expect(!look.ok && look.message).toContain('lookaround');
    const ok = compileUserPattern('^[a-z]+$', 'i');
    expect(ok.ok && ok.regex.test('ABC')).toBe(true);
    const invalid = compileUserPattern('(');
    expect(!invalid.ok && invalid.message).toContain('Unterminated group');
  });
});
