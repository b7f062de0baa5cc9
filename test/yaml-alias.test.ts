import { describe, expect, it } from 'vitest';
import { FEATURE_YAML, minimalRepo, repo, run } from './helpers/repo.js';

describe('YAML aliases', () => {
  it('an alias to an anchor that does not exist is reported at the alias', async () => {
    const text = FEATURE_YAML.replace('status: active', 'status: active\nowners: *nope');
    const line = text.split('\n').findIndex((l) => l.startsWith('owners:')) + 1;
    const result = await run(['validate'], { cwd: repo(minimalRepo({ 'features/greeter.yaml': text })) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`features/greeter.yaml:${line}:${'owners: '.length + 1} error [unknown-alias] unknown alias "*nope"`);
    expect(result.stderr).not.toContain('alias expansions');
  });

  it('an alias used before its anchor is unknown too (YAML anchors come first)', async () => {
    const text = FEATURE_YAML.replace('status: active', 'status: active\nowners: *team\ntags: &team [a]').replace('tags: &team [a]', 'description: &team x');
    const line = text.split('\n').findIndex((l) => l.startsWith('owners:')) + 1;
    const result = await run(['validate'], { cwd: repo(minimalRepo({ 'features/greeter.yaml': text })) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`features/greeter.yaml:${line}:9 error [unknown-alias]`);
  });

  it('a defined alias still works, and an alias bomb is still refused', async () => {
    const ok = FEATURE_YAML.replace('model: openai/gpt-6-luna', 'model: &m openai/gpt-6-luna').replaceAll('model: openai/gpt-6-luna', 'model: *m');
    expect(ok.match(/\*m/g)).toHaveLength(2);
    const fine = await run(['validate'], { cwd: repo(minimalRepo({ 'features/greeter.yaml': ok })) });
    expect(fine.stderr).toBe('');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');
    const refused = await run(['validate'], { cwd: repo(minimalRepo({ 'features/greeter.yaml': `${bomb}\n` })) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[alias-limit]');
  });
});
