import type { ArgsDef } from 'citty';
import type { DiffReport } from '../core/diff/report.js';
import { renderMarkdown } from '../diff/markdown.js';
import { pullRequestContext } from '../github/context.js';
import { GitHubError, upsertStickyComment, type CommentBehavior, type StickyCommentResult } from '../github/sticky-comment.js';
import type { Repository } from '../core/repository.js';
import { EXIT, ExitError, usageError } from './errors.js';
import { colors, type Io } from './io.js';

/** Flags of the commands that post the PR comment (`comment`, `ci`). */
export const commentArgs = {
  pr: { type: 'string', description: 'Pull request number (default: from the GitHub Actions event)', valueHint: 'n' },
  repo: { type: 'string', description: 'Repository owner/name (default: GITHUB_REPOSITORY)', valueHint: 'owner/name' },
  sha: { type: 'string', description: 'Head commit the comment is for (default: from the event); an older run never overwrites a newer one', valueHint: 'sha' },
  behavior: { type: 'enum', options: ['update', 'new', 'delete-and-new'], description: 'update the sticky comment in place (default), post a new one, or delete the old one and post anew' },
  key: { type: 'string', description: 'Sticky comment id, for several comments per PR (default: diff)', valueHint: 'name' },
  'dry-run': { type: 'boolean', description: 'Print the comment instead of posting it' },
} satisfies ArgsDef;

type CommentArgs = { [K in keyof typeof commentArgs]?: string | boolean };

/** Nothing a reviewer needs to see: no entity changed and no finding. */
export const nothingRelevant = (report: DiffReport): boolean => report.entities.length === 0 && report.diagnostics.length === 0;

/**
 * Posts (or updates) the sticky comment for a report. Returns undefined with a note when there is
 * no pull request to comment on and `required` is false (a local `promptops ci`).
 */
export async function postReport(io: Io, command: string, report: DiffReport, options: { args: CommentArgs; repo?: Pick<Repository, 'config'>; notes?: readonly string[]; required: boolean; runAt: string }): Promise<StickyCommentResult | undefined> {
  const { args } = options;
  const c = colors(io);
  const pr = args.pr !== undefined ? Number(args.pr) : report.github?.pr;
  if (args.pr !== undefined && !(Number.isInteger(pr) && pr! > 0)) throw usageError(`promptops ${command}: --pr must be a positive whole number, got "${args.pr}"`);
  if (args.key !== undefined && !/^[A-Za-z0-9._:/-]{1,64}$/.test(String(args.key))) throw usageError(`promptops ${command}: --key may hold letters, digits and . _ : / - (got "${args.key}")`);
  // The PR's head is compared as a full sha: a short one would make every run look stale.
  if (args.sha !== undefined && !/^[0-9a-f]{40}$/.test(String(args.sha))) throw usageError(`promptops ${command}: --sha must be the full 40-character commit sha (got "${args.sha}")`);
  const context = pullRequestContext(io.env, { repo: (args.repo as string | undefined), pr, sha: args.sha as string | undefined });
  const errors = context.diagnostics.filter((d) => d.severity === 'error');
  if (!context.value) {
    if (!options.required && !args['dry-run']) {
      io.err(c.dim(`no comment posted: ${errors.map((d) => d.message).join('; ')}`));
      return undefined;
    }
    if (!args['dry-run']) throw usageError(`promptops ${command}: ${errors.map((d) => d.message).join('; ')}`);
  }
  const body = renderMarkdown(report, { runUrl: context.value?.runUrl, notes: options.notes });
  if (args['dry-run']) {
    io.out(body);
    return undefined;
  }
  for (const d of context.diagnostics.filter((x) => x.severity === 'warning')) io.err(c.yellow(`warning: ${d.message}`));
  const ctx = context.value!;
  const settings = options.repo?.config.comment ?? {};
  const behavior = (args.behavior as CommentBehavior | undefined) ?? settings.behavior ?? 'update';
  try {
    const result = await upsertStickyComment({
      token: ctx.token, apiUrl: ctx.apiUrl, owner: ctx.owner, repo: ctx.repo, pr: ctx.pr,
      body,
      key: args.key as string | undefined,
      headSha: ctx.headSha,
      runAt: options.runAt,
      runId: ctx.runId,
      behavior,
      // A new comment was asked for explicitly; only an in-place update may be skipped as a no-op.
      skipIfUnchanged: behavior === 'update',
      createIfMissing: !(settings.when === 'changes' && nothingRelevant(report)),
    });
    const where = `${ctx.owner}/${ctx.repo}#${ctx.pr}`;
    const said = {
      created: `posted the comment on ${where}`, updated: `updated the comment on ${where}`, recreated: `replaced the comment on ${where}`,
      'skipped-stale': `left the comment on ${where} alone: ${result.reason}`, 'skipped-unchanged': `the comment on ${where} is up to date`,
      'skipped-not-needed': `no comment on ${where}: nothing relevant changed (comment.when: changes)`,
    }[result.action];
    io.err(`${said}${result.url && !result.action.startsWith('skipped-not') ? ` (${result.url})` : ''}${result.truncated ? ' — truncated to GitHub\'s size limit' : ''}`);
    return result;
  } catch (error) {
    if (error instanceof GitHubError) throw new ExitError(EXIT.infra, `promptops ${command}: ${error.message}`);
    throw error;
  }
}
