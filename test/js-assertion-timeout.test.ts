import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type OpenAIServer } from './helpers/openai-server.js';
import { evalConfig, evalRepo, localEnv } from './helpers/eval-repo.js';
import { run } from './helpers/repo.js';

/**
 * A `javascript` assertion is user code: one that loops forever or never settles must fail its test
 * with a reason after a time limit while the run goes on, never hang eval (`--timeout` covers model calls only).
 */

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Results {
  results: { test: string; status: string; assertions: { type: string; pass: boolean; error?: boolean; reason: string }[] }[];
}

const CHECKS = {
  'checks/loop.mjs': 'export default () => { for (;;) {} };\n',
  'checks/never.mjs': 'export default () => new Promise(() => {});\n',
  'checks/words.mjs': 'export default (output) => ({ pass: output.split(" ").length === 3, reason: `${output.split(" ").length} words` });\n',
  'checks/throws.mjs': 'export default () => { throw new Error("bad output shape"); };\n',
};

describe('javascript assertions run with a time limit', () => {
  it('a looping and a never-settling assertion fail their tests after --assertion-timeout; the others still pass', async () => {
    server = await startOpenAIServer({ chat: () => ({ content: 'three word answer' }) });
    const dir = evalRepo(
      ['loop', 'never', 'words', 'throws'].map((name) => `  - name: ${name}\n    vars: { question: q }\n    assert: [{ type: javascript, value: checks/${name}.mjs }]\n`).join(''),
      CHECKS,
    );
    const out = join(dir, 'results.json');
    const started = performance.now();
    const r = await run(['eval', '--env', 'production', '--output', out, '--assertion-timeout', '400'], { cwd: dir, env: localEnv(server.url) });
    const seconds = (performance.now() - started) / 1000;
    expect(existsSync(out)).toBe(true);
    const results = (JSON.parse(readFileSync(out, 'utf8')) as Results).results;
    const byName = (name: string) => results.find((x) => x.test === name)!;
    expect(r.code).toBe(1);
    for (const name of ['loop', 'never']) {
      expect(byName(name).status).toBe('error');
      expect(byName(name).assertions[0]).toMatchObject({ type: 'javascript', pass: false, error: true, reason: `checks/${name}.mjs did not return within 400 ms (stopped; raise eval.assertion_timeout_ms or --assertion-timeout if it needs longer)` });
    }
    expect(byName('words')).toMatchObject({ status: 'pass', assertions: [{ pass: true, reason: '3 words' }] });
    expect(byName('throws').assertions[0]).toMatchObject({ error: true, reason: 'checks/throws.mjs threw: bad output shape' });
    expect(r.stderr).not.toContain('internal error');
    // Stopped at the limit, not at some later timeout: well under the 60 s model-call default.
    expect(seconds).toBeLessThan(15);
  });

  it('eval.assertion_timeout_ms in promptops.config.yaml sets the limit', async () => {
    server = await startOpenAIServer({ chat: () => ({ content: 'three word answer' }) });
    const dir = evalRepo('  - name: never\n    vars: { question: q }\n    assert: [{ type: javascript, value: checks/never.mjs }]\n', {
      ...CHECKS,
      'promptops.config.yaml': evalConfig('  assertion_timeout_ms: 300\n'),
    });
    const out = join(dir, 'results.json');
    const r = await run(['eval', '--env', 'production', '--output', out], { cwd: dir, env: localEnv(server.url) });
    expect(r.code).toBe(1);
    const [result] = (JSON.parse(readFileSync(out, 'utf8')) as Results).results;
    expect(result!.assertions[0]!.reason).toBe('checks/never.mjs did not return within 300 ms (stopped; raise eval.assertion_timeout_ms or --assertion-timeout if it needs longer)');
  });

  it('--assertion-timeout must be a positive integer (exit 2)', async () => {
    const dir = evalRepo('  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, value: x }]\n');
    const r = await run(['eval', '--assertion-timeout', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--assertion-timeout must be a positive integer');
  });
});
