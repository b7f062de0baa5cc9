import { defineCommand } from 'citty';
import { GitError } from 'simple-git';
import { HistoryError, promptHistory, promptVersionDiff, type HistoryEntry, type PromptDiff, type PromptHistory } from '../../git/history.js';
import { commonArgs, positiveInt, resolveRoot } from '../_shared.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { textTable } from '../table.js';

export default defineCommand({
  args: {
    prompt: { type: 'positional', required: true, description: 'Prompt id, e.g. chatbot/system' },
    diff: { type: 'string', description: 'Diff the prompt file between A and B, each a version (3 or v3) or a git ref (main, HEAD~2, a sha); an empty side is HEAD', valueHint: 'A..B' },
    limit: { type: 'string', description: 'Show at most N commits, newest first', valueHint: 'n' },
    root: commonArgs.root,
    json: commonArgs.json,
    format: { type: 'enum', options: ['human', 'json'], description: 'Output format: human or json' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const root = resolveRoot(io, args.root);
    const json = args.json || args.format === 'json';
    if (args.diff !== undefined && args.limit !== undefined) throw usageError('promptops history: --limit does not apply to --diff');
    const limit = positiveInt('history', '--limit', args.limit);
    try {
      if (args.diff !== undefined) {
        const [from, to] = parseRange(args.diff);
        const diff = await promptVersionDiff({ root, prompt: args.prompt, from, to });
        if (json) io.out(JSON.stringify({ schema_version: 1, prompt: diff.prompt, from: pointJson(diff.from), to: pointJson(diff.to), identical: diff.identical, patch: diff.patch }, null, 2));
        else printDiff(io, diff);
        return;
      }
      const history = await promptHistory({ root, prompt: args.prompt, limit });
      if (json) io.out(JSON.stringify({ schema_version: 1, prompt: history.prompt, path: history.path, truncated: history.truncated, entries: history.entries.map(entryJson) }, null, 2));
      else printHistory(io, history);
    } catch (error) {
      if (error instanceof HistoryError) throw usageError(`promptops history: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
      // Anything git itself refused (corrupt objects, no git binary) is not the user's input.
      if (error instanceof GitError) throw new ExitError(EXIT.infra, `promptops history: git failed: ${error.message.trim()}`);
      throw error;
    }
  },
});

/** `A..B` like git; refs cannot contain `..`, so the first one splits unambiguously. */
function parseRange(value: string): [string, string] {
  const at = value.indexOf('..');
  const [from, to] = at < 0 ? [] : [value.slice(0, at), value.slice(at + 2)];
  if (from === undefined || to === undefined || to.startsWith('.') || (!from && !to)) {
    throw usageError(`promptops history: --diff takes A..B (versions such as 3..4 or v3..v4, or git refs such as main..HEAD), got "${value}"`);
  }
  return [from || 'HEAD', to || 'HEAD'];
}

function printHistory(io: Io, history: PromptHistory): void {
  const c = colors(io);
  const { entries } = history;
  if (entries.length === 0) {
    io.out(`${history.path}: no committed versions yet (the file is not in any commit)`);
    return;
  }
  const commits = `${entries.length} commit${entries.length === 1 ? '' : 's'}${history.truncated ? ' (latest shown; raise --limit for more)' : ''}`;
  io.out(`${c.bold(history.prompt)} ${c.dim(`· ${history.path} · ${commits}`)}`);
  const rows = entries.map((e) => [versionCell(e), e.shortCommit, e.date.slice(0, 10), e.author, e.deleted ? 'deleted' : (e.status ?? '?'), noteCell(e)]);
  const [head, ...lines] = textTable(['version', 'commit', 'date', 'author', 'status', 'note'], rows, c.bold, 6).split('\n');
  io.out(head!);
  // Dimming whole lines after padding keeps the columns aligned; commits that set a version stand out.
  lines.forEach((line, i) => io.out(entries[i]!.versionChanged ? line : c.dim(line)));
  if (entries.some((e) => !e.deleted && !e.versionChanged)) io.out(c.dim('(vN): the commit did not change the version'));
}

function versionCell(e: HistoryEntry): string {
  if (e.deleted) return '—';
  if (e.version === undefined) return '?';
  return e.versionChanged ? `v${e.version}` : `(v${e.version})`;
}

function noteCell(e: HistoryEntry): string {
  const note = e.versionChanged && e.note ? oneLine(e.note) : undefined;
  const parts = [note, e.renamedFrom && `renamed from ${e.renamedFrom}`, e.renamedTo && `renamed to ${e.renamedTo}`, e.problem];
  return parts.filter(Boolean).join(' · ');
}

const NOTE_WIDTH = 80;
const oneLine = (s: string) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > NOTE_WIDTH ? `${flat.slice(0, NOTE_WIDTH - 1)}…` : flat;
};

function printDiff(io: Io, diff: PromptDiff): void {
  const c = colors(io);
  if (diff.identical) {
    io.out(`no differences: ${diff.from.path} at ${diff.from.label} (${diff.from.shortCommit}) and ${diff.to.label} (${diff.to.shortCommit})`);
    return;
  }
  const paint = (line: string) => {
    if (line.startsWith('+++') || line.startsWith('---')) return c.bold(line);
    if (line.startsWith('@@')) return c.cyan(line);
    if (line.startsWith('+')) return c.green(line);
    return line.startsWith('-') ? c.red(line) : line;
  };
  io.out(diff.patch.trimEnd().split('\n').map(paint).join('\n'));
}

function entryJson(e: HistoryEntry) {
  return {
    commit: e.commit,
    short_commit: e.shortCommit,
    date: e.date,
    author: e.author,
    subject: e.subject,
    path: e.path,
    version: e.version ?? null,
    status: e.status ?? null,
    note: e.note ?? null,
    version_changed: e.versionChanged,
    deleted: e.deleted,
    renamed_from: e.renamedFrom ?? null,
    renamed_to: e.renamedTo ?? null,
    problem: e.problem ?? null,
  };
}

const pointJson = (p: PromptDiff['from']) => ({ spec: p.spec, label: p.label, commit: p.commit, short_commit: p.shortCommit, path: p.path ?? null, version: p.version ?? null });
