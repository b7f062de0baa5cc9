import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { simpleGit, type SimpleGit } from 'simple-git';
import { globSync } from 'tinyglobby';
import { parse as parseYaml } from 'yaml';
import { didYouMean } from '../core/diagnostics.js';
import { PROMPT_ID_PATTERN } from '../core/schemas/_common.js';

export type HistoryErrorCode = 'not-a-repo' | 'unknown-prompt' | 'unknown-version' | 'unknown-ref';

/** A problem with what was asked (not a git failure): the CLI reports it as a usage error. */
export class HistoryError extends Error {
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

export interface HistoryEntry {
  commit: string;
  shortCommit: string;
  /** Author date, ISO 8601 with the author's offset. */
  date: string;
  author: string;
  subject: string;
  /** Path of the prompt file at this commit, relative to the repository root. */
  path: string;
  renamedFrom?: string;
  /** Set on a deletion that git sees as a rename away from this id (`history <new id>` continues). */
  renamedTo?: string;
  deleted: boolean;
  version?: number;
  status?: string;
  /** The changelog note of `version`. */
  note?: string;
  /** The version differs from the previous (older) commit's, or the file (re)appears here. */
  versionChanged: boolean;
  /** Why `version` is missing: the file did not parse or has no integer version. */
  problem?: string;
}

export interface PromptHistory {
  prompt: string;
  /** The newest path of the prompt file, relative to the repository root. */
  path: string;
  /** Newest first. */
  entries: HistoryEntry[];
  /** More commits exist beyond `limit`. */
  truncated: boolean;
}

/** An opened repository: git runs at the top level, `prefix` is where the promptops root sits in it. */
interface Repo {
  git: SimpleGit;
  prefix: string;
  top: string;
  root: string;
}

/** Versions of a prompt across git history, newest first, following renames of its file. */
export async function promptHistory({ root, prompt, limit }: { root: string; prompt: string; limit?: number }): Promise<PromptHistory> {
  const repo = await openRepo(root);
  const gitPath = await resolvePromptPath(repo, prompt);
  // One more than asked, so the oldest shown entry can still be compared with its predecessor.
  const records = await logRecords(repo, gitPath, limit === undefined ? undefined : limit + 1);
  const entries = await Promise.all(records.map((r) => describeRecord(repo, r)));
  entries.forEach((e, i) => {
    const older = entries[i + 1];
    e.versionChanged = !e.deleted && (older === undefined || older.deleted || older.version !== e.version);
  });
  const shown = limit === undefined ? entries : entries.slice(0, limit);
  return { prompt, path: display(repo, gitPath), entries: shown, truncated: shown.length < entries.length };
}

export interface DiffPoint {
  /** As given: `3`, `v3`, or a git ref. */
  spec: string;
  /** How headers name it: `v3` for a version, else the ref as given. */
  label: string;
  commit: string;
  shortCommit: string;
  /** Undefined when the prompt file does not exist at that commit. */
  path?: string;
  version?: number;
}

export interface PromptDiff {
  prompt: string;
  from: DiffPoint;
  to: DiffPoint;
  /** Unified diff of the prompt file; only the file headers when both sides are equal. */
  patch: string;
  identical: boolean;
}

/** `N` or `vN` is a prompt version; anything else is a git ref (a tag literally named `v3` is `refs/tags/v3`). */
const VERSION_SPEC = /^v?(\d+)$/;

/** Unified diff of a prompt file between two versions or git refs. */
export async function promptVersionDiff({ root, prompt, from, to }: { root: string; prompt: string; from: string; to: string }): Promise<PromptDiff> {
  const repo = await openRepo(root);
  const gitPath = await resolvePromptPath(repo, prompt);
  const history = await Promise.all((await logRecords(repo, gitPath)).map((r) => describeRecord(repo, r)));
  const points = await Promise.all([from, to].map((spec) => resolvePoint(repo, prompt, gitPath, history, spec)));
  const [a, b] = points as [DiffPoint & { text?: string }, DiffPoint & { text?: string }];
  if (a.text === undefined && b.text === undefined) throw new HistoryError('unknown-ref', `${display(repo, gitPath)} exists neither at ${from} nor at ${to}`);
  const label = (p: DiffPoint) => (p.path === undefined ? '/dev/null' : `${p.path}@${p.label} (${p.shortCommit})`);
  const patch = createTwoFilesPatch(label(a), label(b), a.text ?? '', b.text ?? '', undefined, undefined, { headerOptions: FILE_HEADERS_ONLY });
  const strip = ({ text: _text, ...point }: DiffPoint & { text?: string }) => point;
  return { prompt, from: strip(a), to: strip(b), patch, identical: a.text === b.text };
}

async function resolvePoint(repo: Repo, prompt: string, gitPath: string, history: HistoryEntry[], spec: string): Promise<DiffPoint & { text?: string }> {
  const versionMatch = VERSION_SPEC.exec(spec);
  if (versionMatch) {
    const version = Number(versionMatch[1]);
    const entry = history.find((e) => !e.deleted && e.version === version);
    if (!entry) {
      const known = [...new Set(history.flatMap((e) => (e.version === undefined ? [] : [e.version])))].sort((x, y) => x - y);
      throw new HistoryError('unknown-version', `prompt "${prompt}" never had version ${version} (known versions: ${known.join(', ') || 'none'})`);
    }
    const text = await repo.git.show([`${entry.commit}:${toGit(repo, entry.path)}`]);
    return { spec, label: `v${version}`, commit: entry.commit, shortCommit: entry.shortCommit, path: entry.path, version, text };
  }
  // An unknown ref makes rev-parse --quiet print nothing rather than fail.
  const commit = (await repo.git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`])).trim();
  if (!commit) throw new HistoryError('unknown-ref', `"${spec}" is neither a version of "${prompt}" nor a git ref`, 'a version is a number such as 3 or v3; a ref is a branch, tag or commit');
  const shortCommit = (await repo.git.raw(['rev-parse', '--short', commit])).trim();
  // The file may have had another name at that commit: try every path it had, newest first.
  for (const path of new Set([gitPath, ...history.map((e) => toGit(repo, e.path))])) {
    const text = await repo.git.show([`${commit}:${path}`]).catch(() => undefined);
    if (text !== undefined) return { spec, label: spec, commit, shortCommit, path: display(repo, path), version: describeText(text).version, text };
  }
  return { spec, label: spec, commit, shortCommit };
}

async function openRepo(root: string): Promise<Repo> {
  let out: string;
  try {
    out = await simpleGit({ baseDir: root }).raw(['rev-parse', '--show-toplevel', '--show-prefix']);
  } catch {
    throw new HistoryError('not-a-repo', `${root} is not inside a git repository`, 'prompt history is read from git: run "git init" and commit, or pass --root');
  }
  const [top = root, prefix = ''] = out.split('\n');
  return { git: simpleGit({ baseDir: top }), prefix, top, root };
}

const display = (repo: Repo, gitPath: string) => posix.relative(repo.prefix, gitPath);
const toGit = (repo: Repo, path: string) => posix.join(repo.prefix, path);

/** The file the id names: the one in the working tree, else the one most recently touched in git. */
async function resolvePromptPath(repo: Repo, prompt: string): Promise<string> {
  const valid = new RegExp(PROMPT_ID_PATTERN).test(prompt);
  const candidates = valid ? ['yaml', 'yml'].map((ext) => `${repo.prefix}prompts/${prompt}.${ext}`) : [];
  const onDisk = candidates.find((p) => existsSync(join(repo.top, p)));
  if (onDisk) return onDisk;
  const hasCommits = (await repo.git.raw(['rev-parse', '--verify', '--quiet', 'HEAD'])).trim() !== '';
  const touched = candidates.length && hasCommits ? await repo.git.raw(['log', '-1', '--format=', '--name-only', '--no-renames', '--', ...candidates]) : '';
  const found = touched.split('\n').find(Boolean);
  if (found) return found;
  const known = await knownPrompts(repo, hasCommits);
  throw new HistoryError('unknown-prompt', `unknown prompt "${prompt}": no prompts/${prompt}.yaml in the working tree or in git history`, didYouMean(prompt, known));
}

/** Ids of prompts in the working tree or anywhere in history (a deleted prompt still has a history). */
async function knownPrompts(repo: Repo, hasCommits: boolean): Promise<Set<string>> {
  const current = globSync('prompts/**/*.{yaml,yml}', { cwd: repo.root });
  const past = hasCommits ? (await repo.git.raw(['log', '--format=', '--name-only', '--no-renames', '--', `${repo.prefix}prompts`])).split('\n').filter(Boolean).map((p) => display(repo, p)) : [];
  const ids = [...current, ...past].map((p) => p.replace(/^prompts\//, '').replace(/\.ya?ml$/, ''));
  return new Set(ids.filter((id) => !id.split('/').some((part) => part.startsWith('_'))));
}

interface LogRecord {
  commit: string;
  shortCommit: string;
  date: string;
  author: string;
  subject: string;
  status: string;
  gitPath: string;
  renamedFrom?: string;
}

const FIELD = '\x1f';
const RECORD = '\x1e';

async function logRecords(repo: Repo, gitPath: string, max?: number): Promise<LogRecord[]> {
  const format = `--format=${RECORD}%H${FIELD}%h${FIELD}%aI${FIELD}%an${FIELD}%s`;
  const out = await repo.git.raw(['log', '--follow', format, '--name-status', ...(max === undefined ? [] : [`-n${max}`]), '--', gitPath]);
  const records: LogRecord[] = [];
  for (const chunk of out.split(RECORD).slice(1)) {
    const [header = '', ...rest] = chunk.split('\n');
    const [commit = '', shortCommit = '', date = '', author = '', subject = ''] = header.split(FIELD);
    // --follow lists only the followed file; merges that took one side's version show no status line.
    const change = rest.find(Boolean)?.split('\t');
    if (!change) continue;
    const [status = '', first = '', second] = change;
    const renamed = second !== undefined && status.startsWith('R');
    records.push({ commit, shortCommit, date, author, subject, status: status[0] ?? '', gitPath: second ?? first, renamedFrom: renamed ? first : undefined });
  }
  return records;
}

async function describeRecord(repo: Repo, r: LogRecord): Promise<HistoryEntry> {
  const base = { commit: r.commit, shortCommit: r.shortCommit, date: r.date, author: r.author, subject: r.subject, path: display(repo, r.gitPath), versionChanged: false };
  const renamedFrom = r.renamedFrom === undefined ? {} : { renamedFrom: display(repo, r.renamedFrom) };
  if (r.status === 'D') {
    // The followed path sees a rename away from it as a deletion; say where the prompt went.
    const changes = await repo.git.raw(['show', '--format=', '--name-status', '-M', r.commit]);
    const target = changes.split('\n').map((l) => l.split('\t')).find(([s, from]) => s?.startsWith('R') && from === r.gitPath)?.[2];
    return { ...base, deleted: true, ...(target ? { renamedTo: display(repo, target) } : {}) };
  }
  const text = await repo.git.show([`${r.commit}:${r.gitPath}`]);
  return { ...base, ...renamedFrom, deleted: false, ...describeText(text) };
}

function describeText(text: string): Pick<HistoryEntry, 'version' | 'status' | 'note' | 'problem'> {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (error) {
    return { problem: `not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  if (!isRecord(data)) return { problem: 'not a YAML mapping' };
  const version = Number.isInteger(data.version) ? (data.version as number) : undefined;
  const status = typeof data.status === 'string' ? data.status : undefined;
  const entry = Array.isArray(data.changelog) ? data.changelog.find((c) => isRecord(c) && c.version === version) : undefined;
  const note = isRecord(entry) && typeof entry.note === 'string' ? entry.note : undefined;
  return { version, status, note, ...(version === undefined ? { problem: 'no integer version' } : {}) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
