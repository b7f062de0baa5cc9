import { defineCommand } from 'citty';
import { validateRepository } from '../../core/check/index.js';
import { checkShippedPrompts } from '../../core/check/shipped-prompts.js';
import { ApprovalError, checkApproval } from '../../github/approval.js';
import type { SourceInfo } from '../../git/source.js';
import { publish, PublishRefusedError, type PublishResult } from '../../publish/publish.js';
import { ConflictError, StoreUnavailableError } from '../../publish/store.js';
import { printDiagnostics, resolveRoot } from '../_shared.js';
import { checkEnvironments } from '../environments.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { actorOf, openStoreFor, short, signingKeyFor, storeArgs, storeUrl, withStore } from '../publish-shared.js';

export default defineCommand({
  args: {
    env: { type: 'string', description: 'Environment to publish (comma-separated, or "all")', valueHint: 'name' },
    ...storeArgs,
    'dry-run': { type: 'boolean', description: 'Compile and sign, show what would be released, change nothing' },
    force: { type: 'boolean', description: 'Publish even from a commit older than the current release\'s' },
    'allow-dirty': { type: 'boolean', description: 'Publish uncommitted changes (file stores only: a local sandbox); the release records no commit' },
    actor: { type: 'string', description: 'Who publishes, recorded in the release history (default: GITHUB_ACTOR or the OS user)', valueHint: 'name' },
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const root = resolveRoot(io, args.root);
    const { repo, diagnostics } = validateRepository({ root });
    if (diagnostics.some((d) => d.severity === 'error')) {
      printDiagnostics(io, root, diagnostics, args.json ? 'json' : 'human');
      throw new ExitError(EXIT.failed, args.json ? '' : 'promptops publish: the repository has errors; nothing was published');
    }
    const all = Object.keys(repo.config.environments);
    if (!args.env) throw usageError(`promptops publish: --env is required (${all.join(', ')}, or all)`);
    const environments = args.env === 'all' ? all : args.env.split(',').map((s) => s.trim());
    await checkEnvironments('publish', repo, environments);
    // A feature shipped without one of its prompts makes the runtime's render throw: refuse before anything is signed or stored.
    const unshipped = environments.map((environment) => ({ environment, diagnostics: checkShippedPrompts({ repo, environment }) })).filter((u) => u.diagnostics.length);
    if (unshipped.length) {
      printDiagnostics(io, root, unshipped.flatMap((u) => u.diagnostics), args.json ? 'json' : 'human');
      throw new ExitError(EXIT.failed, args.json ? '' : `promptops publish: ${unshipped.map((u) => u.environment).join(', ')} would ship features or running experiments without their prompts; nothing was published`);
    }

    const url = storeUrl(repo, args.store);
    const local = url.startsWith('file:');
    const key = signingKeyFor(io, 'publish', repo, url, { quiet: args.json });
    if (args['allow-dirty'] && !local) throw usageError('promptops publish: --allow-dirty is for local file stores; shared stores get releases of commits only');
    const store = await openStoreFor('publish', url, root);
    const results: PublishResult[] = [];
    await withStore('publish', store, async () => {
      for (const environment of environments) {
        const approval = repo.config.environments[environment]!.require_pr_approval && (!local || io.env.GITHUB_ACTIONS === 'true') ? approver(io, environment) : undefined;
        try {
          const result = await publish({ repo, environment, store, key, actor: actorOf(io, args.actor), force: args.force, dryRun: args['dry-run'], allowDirty: args['allow-dirty'], approve: approval });
          results.push(result);
          if (!args.json) io.out(describe(result, c));
        } catch (error) {
          if (error instanceof PublishRefusedError || (error instanceof ApprovalError && !error.infrastructure)) throw new ExitError(EXIT.failed, `promptops publish: ${environment}: ${error.message}`);
          if (error instanceof ApprovalError) throw new ExitError(EXIT.infra, `promptops publish: ${environment}: ${error.message}`);
          if (error instanceof ConflictError) throw new ExitError(EXIT.failed, `promptops publish: ${environment}: other publishers kept moving the release (${error.message}); nothing of this run was released`);
          if (error instanceof StoreUnavailableError) {
            const done = results.filter((r) => r.outcome === 'released').map((r) => r.environment);
            throw new ExitError(EXIT.infra, `promptops publish: ${environment}: ${error.message}; "${environment}" keeps its previous release${done.length ? ` (released before the failure: ${done.join(', ')})` : ''}`);
          }
          throw error;
        }
      }
    }, { moves: true });
    if (args.json) io.out(JSON.stringify({ version: 1, store: store.url, results: results.map(({ diagnostics: _d, ...r }) => r) }, null, 2));
  },
});

function approver(io: Io, environment: string): (source: SourceInfo) => Promise<void> {
  return async (source) => {
    const [owner, repo] = (io.env.GITHUB_REPOSITORY ?? '').split('/');
    if (!source.commit) throw new PublishRefusedError(`"${environment}" requires an approved pull request, and the source is not a commit`);
    if (!owner || !repo || !io.env.GITHUB_TOKEN) throw new PublishRefusedError(`"${environment}" requires an approved pull request (require_pr_approval): set GITHUB_REPOSITORY and GITHUB_TOKEN so it can be checked`);
    await checkApproval({ token: io.env.GITHUB_TOKEN, apiUrl: io.env.GITHUB_API_URL, owner, repo, commit: source.commit });
  };
}

function describe(r: PublishResult, c: ReturnType<typeof colors>): string {
  const commit = r.source.commit ? ` from ${r.source.commit.slice(0, 7)}` : '';
  const was = r.resigned ? `the stored envelope was signed with key ${r.resigned}` : '';
  if (r.outcome === 'unchanged') return `${c.dim('=')} ${r.environment}: ${short(r.revision)} is already the release (#${r.release!.seq})${r.resigned ? `; re-signed it (${was})` : '; nothing to do'}`;
  if (r.outcome === 'dry-run') return `${c.cyan('~')} ${r.environment}: would ${r.previous?.revision === r.revision ? 're-sign' : 'release'} ${short(r.revision)}${commit} (${r.bytes.toLocaleString('en-US')} bytes)${r.resigned ? ` (${was})` : ''}${r.previous ? `, replacing #${r.previous.seq} ${short(r.previous.revision)}` : ' as the first release'}`;
  if (r.resigned && r.previous?.revision === r.revision) return `${c.green('✔')} ${r.environment}: re-signed ${short(r.revision)} with key ${r.key_id} (${was}); released as #${r.release!.seq}`;
  return `${c.green('✔')} ${r.environment}: released ${short(r.revision)}${commit} as #${r.release!.seq}${r.previous ? ` (was ${short(r.previous.revision)})` : ''}${r.resigned ? `; re-signed its stored envelope with key ${r.key_id} (${was})` : ''}`;
}
