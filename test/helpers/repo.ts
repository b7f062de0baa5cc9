import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { globSync } from 'tinyglobby';
import { onTestFinished } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run.js';

/** Repository-relative path → file content (text, or raw bytes for encoding tests). */
export type Tree = Record<string, string | Uint8Array>;

/** The example config repository: the project root itself. */
export const EXAMPLE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** What makes up the example repository (everything else at the root is the toolchain). */
export const EXAMPLE_ENTRIES = ['promptops.config.yaml', 'prompts', 'features', 'budgets', 'experiments', 'schemas'] as const;

/** A fresh empty directory under the OS temp dir, removed when the current test finishes. */
export function tempDir(prefix = 'promptops-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface WriteOptions {
  /** Write the files in reverse path order (directory entries get created in a different order). */
  reverse?: boolean;
  /** Set this access and modification time on every written file. */
  mtime?: Date;
}

/** Writes an inline file tree into `dir`; returns `dir`. */
export function writeTree(dir: string, tree: Tree, options: WriteOptions = {}): string {
  const paths = Object.keys(tree).sort();
  if (options.reverse) paths.reverse();
  for (const path of paths) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, tree[path]!);
    if (options.mtime) utimesSync(abs, options.mtime, options.mtime);
  }
  return dir;
}

/** Writes a tree into a fresh temp dir (cleaned up after the test). */
export function repo(tree: Tree, options?: WriteOptions): string {
  return writeTree(tempDir(), tree, options);
}

/** The files of the example repository as an inline tree (raw bytes, keyed by POSIX path). */
export function exampleTree(): Tree {
  const files = globSync(EXAMPLE_ENTRIES.map((e) => (e.includes('.') ? e : `${e}/**`)), { cwd: EXAMPLE_ROOT, dot: false });
  return Object.fromEntries(files.sort().map((file) => [file, readFileSync(join(EXAMPLE_ROOT, file))]));
}

/** A copy of the example repository in a fresh temp dir, so tests may modify it. */
export function exampleCopy(): string {
  const dir = tempDir();
  for (const entry of EXAMPLE_ENTRIES) cpSync(join(EXAMPLE_ROOT, entry), join(dir, entry), { recursive: true });
  return dir;
}

/** A catalog model entry; `periods` are price periods as YAML maps of their fields. */
export const catalogModel = (id: string, capabilities: string, periods: Array<Record<string, string | number>>) => `  ${id}:
    context_window: 8192
    max_output_tokens: 1024
    capabilities: [${capabilities}]
    status: available
    pricing:
${periods.map((p) => Object.entries(p).map(([k, v], i) => `${i === 0 ? '      - ' : '        '}${k}: ${v}`).join('\n')).join('\n')}
`;

export const CONFIG_YAML = `# yaml-language-server: $schema=./schemas/config.schema.json
version: 1
environments:
  development:
    publish: [draft, review, approved]
  staging:
    publish: [review, approved]
  production:
    publish: [approved]
`;

export const FEATURE_YAML = `# yaml-language-server: $schema=../schemas/feature.schema.json
name: greeter
status: active
prompts:
  - greet
environments:
  development:
    model: openai/gpt-6-luna
  staging:
    model: openai/gpt-6-luna
  production:
    model: openai/gpt-6-luna
`;

export const PROMPT_YAML = `# yaml-language-server: $schema=../schemas/prompt.schema.json
version: 1
status: approved
description: Greets a user.
variables:
  name:
    type: string
    description: First name of the user.
template: |
  {{> tone}}
  Say hello to {{name}}.
`;

/**
 * A minimal valid repository: three environments, one feature on a built-in model, one prompt
 * with a declared variable that includes one partial. Entries of `overrides` replace or add
 * files; an `undefined` value removes one.
 */
export function minimalRepo(overrides: Record<string, string | Uint8Array | undefined> = {}): Tree {
  const tree: Record<string, string | Uint8Array | undefined> = {
    'promptops.config.yaml': CONFIG_YAML,
    'features/greeter.yaml': FEATURE_YAML,
    'prompts/greet.yaml': PROMPT_YAML,
    'prompts/_partials/tone.hbs': 'Be warm and brief.\n',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(tree).filter((e): e is [string, string | Uint8Array] => e[1] !== undefined));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with a capturing, colourless, non-TTY Io and an empty environment (unless given). */
export async function run(argv: string[], { cwd = EXAMPLE_ROOT, env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: Io = { cwd, out: (t) => out.push(line(t)), write: (t) => out.push(t), err: (t) => err.push(line(t)), color: false, isTTY: false, env };
  const code = await runCli(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Turns `dir` into a git repository with a local identity, no signing, and one commit of its content. */
export async function gitRepo(dir: string): Promise<void> {
  const git = simpleGit({ baseDir: dir });
  await git.init();
  await git.addConfig('user.name', 'promptops test', false, 'local');
  await git.addConfig('user.email', 'test@promptops.invalid', false, 'local');
  await git.addConfig('commit.gpgsign', 'false', false, 'local');
  await git.add('.');
  await git.commit('initial commit', undefined, { '--allow-empty': null });
}
