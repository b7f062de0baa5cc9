import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { pullRequestRepo } from './helpers/git.js';
import { CONFIG_YAML, minimalRepo, PROMPT_YAML, run } from './helpers/repo.js';

describe('diff --head <ref>', () => {
  it('draws code frames from the head ref, not from the working tree', async () => {
    // The change edits the template without bumping the version: a version-not-bumped error on `version:`.
    const changed = PROMPT_YAML.replace('Say hello to {{name}}.', 'Say a warm hello to {{name}}.');
    const dir = await pullRequestRepo(minimalRepo({ 'promptops.config.yaml': `${CONFIG_YAML}policy:\n  require_version_bump: error\n` }), { 'prompts/greet.yaml': changed });
    // The working tree is back on main and holds other text at the lines the head ref's diagnostic points at.
    await simpleGit({ baseDir: dir }).checkout('main');
    const file = join(dir, 'prompts/greet.yaml');
    writeFileSync(file, `# working-tree line A\n# working-tree line B\n${readFileSync(file, 'utf8')}`);

    const result = await run(['diff', '--base', 'main', '--head', 'change', '--no-eval', '--no-usage'], { cwd: dir });
    expect(result.code).toBe(1);
    const headLine = changed.split('\n').findIndex((l) => l.startsWith('version:')) + 1;
    expect(result.stderr).toContain(`prompts/greet.yaml:${headLine}:`);
    expect(result.stderr).toMatch(new RegExp(`> ${headLine} \\| version: 1`));
    expect(result.stderr).not.toContain('working-tree line');
  });
});
