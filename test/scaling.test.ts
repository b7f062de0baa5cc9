import { describe, expect, it } from 'vitest';
import { closest } from '../src/core/diagnostics.js';
import { countTokens, encoder, MAX_PIECE_CHARS, tokenSlices } from '../src/core/tokens.js';
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

  it('"did you mean" skips candidates by length and gives the same answer as comparing every candidate', () => {
    // Independent reference: full Levenshtein distance against every candidate, first best wins.
    const distance = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      return d[a.length]![b.length]!;
    };
    const reference = (word: string, candidates: string[]) => {
      let best: string | undefined;
      let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
      for (const c of candidates) if (distance(word, c) < bestDistance) [best, bestDistance] = [c, distance(word, c)];
      return best;
    };
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const word = () => Array.from({ length: 1 + Math.floor(random() * 14) }, () => 'abcde_'[Math.floor(random() * 6)]).join('');
    for (let round = 0; round < 300; round++) {
      const candidates = Array.from({ length: 12 }, word);
      const w = word();
      expect(closest(w, candidates)).toBe(reference(w, candidates));
    }
    // A 100 000-character key is no typo of a short name: no hint, and no 10^10-cell table.
    expect(closest('x'.repeat(100_000), ['x'.repeat(99_999)])).toBeUndefined();
  });

  it('token counts: exact for text without long runs; long runs counted in slices, within one token per cut', () => {
    const exact = (text: string) => encoder('o200k_base').encode_ordinary(text).length;
    const prose = Array.from({ length: 400 }, (_, i) => `Step ${i}: open https://example.com/albums/${i}?share=true and tap “Share” — naïve café 🙂.\n`).join('');
    expect(tokenSlices(prose)).toEqual([prose]);
    expect(countTokens('o200k_base', prose)).toBe(exact(prose));

    // Runs long enough to be cut (letters, punctuation, spaces, emoji pairs), short enough for tiktoken to count exactly in a test.
    const runs = ['q'.repeat(3000), '='.repeat(2000), ' '.repeat(1500), '🙂'.repeat(700), `a${'🙂'.repeat(700)}`, 'aB3'.repeat(900)];
    for (const run of runs) {
      const text = `before ${run} after`;
      const slices = tokenSlices(text);
      expect(slices.join('')).toBe(text);
      expect(slices.length).toBeGreaterThan(1);
      // No slice splits a surrogate pair.
      for (const slice of slices) expect(slice).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
      const counted = countTokens('o200k_base', text);
      expect(Math.abs(counted - exact(text))).toBeLessThanOrEqual(slices.length - 1);
    }
    expect(MAX_PIECE_CHARS).toBeGreaterThanOrEqual(200);
  });

  it('render counts the tokens of a 300 KB prompt made of one run', async () => {
    const dir = repo(minimalRepo({ 'prompts/greet.yaml': `version: 1\nstatus: approved\nvariables:\n  name: { type: string }\ntemplate: "{{name}}"\n` }));
    const name = 'z'.repeat(300_000);
    const result = await run(['render', 'greet', '--root', dir, '--json', '--vars', JSON.stringify({ name })]);
    expect(result.code).toBe(0);
    const rendered = JSON.parse(result.stdout) as { messages: { tokens: number }[] };
    // A run of one letter encodes as same-size chunks; the exact count of a 3000-letter run scales by 100.
    const per3000 = encoder('o200k_base').encode_ordinary('z'.repeat(3000)).length;
    expect(Math.abs(rendered.messages[0]!.tokens - per3000 * 100)).toBeLessThanOrEqual(300_000 / MAX_PIECE_CHARS + 1);
  });
});
