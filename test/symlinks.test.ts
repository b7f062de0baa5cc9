import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { pullRequestRepo } from './helpers/git.js';
import { gitRepo, minimalRepo, PROMPT_YAML, repo, run, tempDir, writeTree } from './helpers/repo.js';

/** Content no output may ever carry: it lives outside the repository. */
const SECRET = 'TOP-SECRET-d41d8cd98f00';

/** A file outside every repository of the test, holding the secret. */
function outsideFile(name = 'secret.txt', text = `password: ${SECRET}\nsecond line ${SECRET}\n`): string {
  const path = join(tempDir('promptops-outside-'), name);
  writeFileSync(path, text);
  return path;
}

function link(dir: string, path: string, target: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  symlinkSync(target, join(dir, path));
}

/** Every file under `dir` (recursively), read as text. */
function allText(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

const PARTIAL = 'prompts/_partials/tone.hbs';
const everything = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

describe('a symbolic link that leaves the repository', () => {
  it('is refused by validate at the link, without quoting the target', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined }));
    link(dir, PARTIAL, outsideFile());
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${PARTIAL}:1:1 error [symlink-escape]`);
    expect(result.stderr).toContain('outside the repository');
    expect(everything(result)).not.toContain(SECRET);
    expect(result.stderr).not.toContain('internal error');
    const json = await run(['validate', '--json'], { cwd: dir });
    expect(json.stdout).not.toContain(SECRET);
    expect(JSON.parse(json.stdout).diagnostics).toContainEqual(expect.objectContaining({ code: 'symlink-escape', file: PARTIAL, line: 1, col: 1 }));
  });

  it('is never rendered or compiled into a bundle', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined }));
    link(dir, PARTIAL, outsideFile());
    const rendered = await run(['render', 'greet', '--vars', '{"name":"Ada"}'], { cwd: dir });
    expect(rendered.code).toBe(1);
    expect(everything(rendered)).not.toContain(SECRET);
    const compiled = await run(['compile', '--out', 'dist/bundles'], { cwd: dir });
    expect(compiled.code).toBe(1);
    expect(everything(compiled)).not.toContain(SECRET);
    expect(allText(join(dir, 'dist'))).not.toContain(SECRET);
  });

  it('a YAML entity linked to a non-YAML file is refused, not quoted into a schema message', async () => {
    const dir = repo(minimalRepo({ 'features/greeter.yaml': undefined }));
    link(dir, 'features/greeter.yaml', outsideFile('passwd', `root:x:0:0:${SECRET}:/root:/bin/bash\n`));
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('features/greeter.yaml:1:1 error [symlink-escape]');
    expect(everything(result)).not.toContain(SECRET);
    expect(everything(result)).not.toContain('root:x:0:0');
  });

  it.runIf(process.platform === 'linux')('a partial linked to /proc/self/environ prints no environment', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined }));
    link(dir, PARTIAL, '/proc/self/environ');
    const environ = readFileSync('/proc/self/environ', 'utf8').split('\0').filter((v) => v.length > 8);
    for (const args of [['validate'], ['render', 'greet', '--vars', '{"name":"Ada"}'], ['compile', '--out', 'dist']]) {
      const result = await run(args, { cwd: dir });
      expect(result.code).toBe(1);
      // render reports what stops the render (the partial it cannot use), validate and compile the link itself.
      expect(result.stderr).toContain(args[0] === 'render' ? 'partial "tone" not found' : `${PARTIAL}:1:1 error [symlink-escape]`);
      for (const variable of environ) expect(everything(result)).not.toContain(variable);
    }
  });

  it('a partial linked into .git (the persisted auth header) is refused', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined }));
    await gitRepo(dir);
    await simpleGit({ baseDir: dir }).addConfig('http.https://github.com/.extraheader', `AUTHORIZATION: basic ${SECRET}`, false, 'local');
    link(dir, PARTIAL, '../../.git/config');
    for (const args of [['validate'], ['render', 'greet', '--vars', '{"name":"Ada"}'], ['compile', '--out', 'dist']]) {
      const result = await run(args, { cwd: dir });
      expect(result.code).toBe(1);
      if (args[0] !== 'render') expect(result.stderr).toContain(`${PARTIAL}:1:1 error [symlink-escape] ${PARTIAL} is a symbolic link to a path inside .git`);
      expect(everything(result)).not.toContain(SECRET);
    }
    expect(allText(join(dir, 'dist'))).not.toContain(SECRET);
  });

  it('a directory linked outside the repository is refused at the link and not walked', async () => {
    const outside = tempDir('promptops-outside-');
    writeTree(outside, { 'leak.yaml': `version: 1\nstatus: approved\ntemplate: ${SECRET}\n` });
    const dir = repo(minimalRepo());
    link(dir, 'prompts/x', outside);
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prompts/x:1:1 error [symlink-escape]');
    expect(everything(result)).not.toContain(SECRET);
    const compiled = await run(['compile', '--out', 'dist'], { cwd: dir });
    expect(compiled.code).toBe(1);
    expect(allText(join(dir, 'dist'))).not.toContain(SECRET);
  });

  it.runIf(process.platform !== 'win32')('a directory linked to /etc is refused without reading it', async () => {
    const dir = repo(minimalRepo());
    link(dir, 'prompts/x', '/etc');
    const result = await run(['validate', '--json'], { cwd: dir });
    expect(result.code).toBe(1);
    const diagnostics = JSON.parse(result.stdout).diagnostics as { code: string; file: string }[];
    expect(diagnostics.map((d) => `${d.code} ${d.file}`)).toEqual(['symlink-escape prompts/x']);
  });

  it('a dangling link is an error at the link, not a crash or a silent skip', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined }));
    link(dir, PARTIAL, '../../nowhere/tone.hbs');
    // A link to itself never resolves either.
    link(dir, 'prompts/loop.yaml', 'loop.yaml');
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${PARTIAL}:1:1 error [broken-symlink]`);
    expect(result.stderr).toContain('prompts/loop.yaml:1:1 error [broken-symlink]');
    expect(result.stderr).not.toContain('internal error');
  });
});

describe('a symbolic link to another file of the repository', () => {
  it('is followed like the file itself', async () => {
    const dir = repo(minimalRepo({ [PARTIAL]: undefined, 'shared/tone.txt': 'Be warm and brief, from shared.\n' }));
    link(dir, PARTIAL, '../../shared/tone.txt');
    const result = await run(['validate'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rendered = await run(['render', 'greet', '--vars', '{"name":"Ada"}'], { cwd: dir });
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain('Be warm and brief, from shared.');
  });
});

describe('diff of a pull request that adds a link outside the repository', () => {
  for (const [name, target] of [['an outside file', () => outsideFile()], ['/etc/passwd', () => '/etc/passwd']] as const) {
    it.runIf(process.platform !== 'win32')(`never puts ${name} into the PR comment`, async () => {
      // The pull request replaces the partial with a link: the comment lists a changed partial's content.
      const changed = PROMPT_YAML.replace('version: 1', 'version: 2');
      const dir = await pullRequestRepo(minimalRepo(), { 'prompts/greet.yaml': `${changed}changelog:\n  - version: 2\n    note: leak\n`, [PARTIAL]: undefined });
      const git = simpleGit({ baseDir: dir });
      link(dir, PARTIAL, target());
      await git.add([PARTIAL]);
      await git.commit('add a link');
      // The working tree moves away: the head ref's snapshot is what diff reads.
      await git.checkout('main');
      const secret = name === '/etc/passwd' ? 'root:x:0:0' : SECRET;
      const markdown = await run(['diff', '--base', 'main', '--head', 'change', '--no-eval', '--no-usage', '--format', 'markdown'], { cwd: dir });
      expect(markdown.code).toBe(1);
      expect(markdown.stdout).toContain('symlink-escape');
      expect(everything(markdown)).not.toContain(secret);
      const text = await run(['diff', '--base', 'main', '--head', 'change', '--no-eval', '--no-usage'], { cwd: dir });
      expect(text.code).toBe(1);
      expect(text.stderr).toContain(`${PARTIAL}:1:1 error [symlink-escape]`);
      expect(everything(text)).not.toContain(secret);
      // The same tree checked out: validate names the link.
      await git.checkout('change');
      const validated = await run(['validate'], { cwd: dir });
      expect(validated.code).toBe(1);
      expect(validated.stderr).toContain(`${PARTIAL}:1:1 error [symlink-escape]`);
      expect(everything(validated)).not.toContain(secret);
    });
  }
});
