import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitRepo, run, tempDir } from './helpers/repo.js';

describe('init: the eval cache lives where git keeps it', () => {
  it('writes an eval.cache_dir that .gitignore does not ignore, so recordings reach CI', async () => {
    const dir = tempDir();
    const init = await run(['init', dir]);
    expect(init.code).toBe(0);
    const cacheDir = parse(readFileSync(join(dir, 'promptops.config.yaml'), 'utf8')).eval.cache_dir as string;
    expect(cacheDir).toBe('recordings');

    // A recording as `eval --record` writes it, then the commit CI would check out.
    const entry = join(dir, cacheDir, 'ab', `ab${'0'.repeat(62)}.json`);
    mkdirSync(join(entry, '..'), { recursive: true });
    writeFileSync(entry, '{}\n');
    await gitRepo(dir);
    const committed = await simpleGit({ baseDir: dir }).raw(['ls-files', cacheDir]);
    expect(committed.trim()).toBe(`${cacheDir}/ab/ab${'0'.repeat(62)}.json`);
    // Build output under .promptops/ is still ignored.
    expect((await simpleGit({ baseDir: dir }).raw(['check-ignore', '.promptops/bundles/x.json'])).trim()).toBe('.promptops/bundles/x.json');
  });
});
