import { describe, expect, it } from 'vitest';
import { minimalRepo, repo, run } from './helpers/repo.js';

/**
 * Correctness of the linear-time paths for large files (the speed itself is measured by
 * bench/validate-render-scaling.ts): duplicate keys found without yaml's quadratic check, positions
 * of diagnostics in large mappings from an index, and human output capped per file.
 */

const promptWith = (extra: string) => `version: 1\nstatus: approved\ntemplate: hello\n${extra}`;

describe('large files', () => {
  it('every unknown key of a 250-key mapping is located at its own line; human output lists 100 and says how many more', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `extra_${i}: ${i}`);
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': promptWith(`${keys.join('\n')}\n`) }));
    const json = await run(['validate', '--root', dir, '--json']);
    expect(json.code).toBe(1);
    const diagnostics = (JSON.parse(json.stdout) as { diagnostics: { code: string; file: string; line: number; col: number; message: string }[] }).diagnostics.filter((d) => d.file === 'prompts/greet.yaml');
    expect(diagnostics).toHaveLength(250);
    // Line of key i: three header lines, then one key per line.
    for (const d of diagnostics) {
      const i = Number(/extra_(\d+)/.exec(d.message)![1]);
      expect([d.code, d.line, d.col]).toEqual(['schema', 4 + i, 1]);
    }

    const human = await run(['validate', '--root', dir]);
    expect(human.code).toBe(1);
    expect(human.stderr.match(/prompts\/greet\.yaml:\d+:1 error \[schema\]/g)).toHaveLength(100);
    expect(human.stderr).toContain('prompts/greet.yaml: 150 more diagnostics not shown (the first 100 are listed; --json lists all)');
    expect(human.stdout + human.stderr).toContain('250 errors');
  });

  it('duplicate keys are still errors at the second occurrence, in large and nested mappings', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `  k${i}: { type: string, required: false }`);
    const dir = repo(minimalRepo({
      'prompts/greet.yaml': `version: 1\nstatus: approved\nvariables:\n${keys.join('\n')}\n  k7: { type: string }\ntemplate: hello\nstatus: draft\n`,
    }));
    const result = await run(['validate', '--root', dir, '--json']);
    expect(result.code).toBe(1);
    const found = (JSON.parse(result.stdout) as { diagnostics: { code: string; line: number; col: number }[] }).diagnostics.filter((d) => d.code === 'duplicate-key');
    expect(found.map((d) => [d.line, d.col])).toEqual([
      [104, 3],
      [106, 1],
    ]);
  });
});
