import { defineCommand } from 'citty';
import { PublishRefusedError, rollback } from '../../publish/publish.js';
import { ConflictError } from '../../publish/store.js';
import { checkEnvironments } from '../environments.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { actorOf, repoStore, short, signingKeyFor, storeArgs, storeUrl, withStore } from '../publish-shared.js';

export default defineCommand({
  args: {
    env: { type: 'string', required: true, description: 'Environment to roll back', valueHint: 'name' },
    to: { type: 'string', description: 'Revision (or a unique prefix of at least 7 characters) released before in this environment; default: the previous release', valueHint: 'revision' },
    ...storeArgs,
    actor: { type: 'string', description: 'Who rolls back, recorded in the history (default: GITHUB_ACTOR or the OS user)', valueHint: 'name' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const { repo, store } = await repoStore(io, 'rollback', args);
    await withStore('rollback', store, async () => {
      // The rollback is signed like a publish: clients take an older revision only as a new signed release.
      const key = signingKeyFor(io, 'rollback', repo, storeUrl(repo, args.store));
      await checkEnvironments('rollback', repo, [args.env], () => store.environments());
      const history = await store.history(args.env);
      const current = history[0];
      if (!current) throw usageError(`promptops rollback: "${args.env}" has no release in ${store.url}`);
      let target: string | undefined;
      if (args.to === undefined) {
        target = history.find((r) => r.revision !== current.revision)?.revision;
        if (!target) throw usageError(`promptops rollback: "${args.env}" has never had another revision to go back to`);
      } else {
        if (args.to.length < 7) throw usageError('promptops rollback: --to needs at least 7 characters of the revision');
        const matches = [...new Set(history.map((r) => r.revision).filter((r) => r.startsWith(args.to!)))];
        if (matches.length !== 1) {
          const known = [...new Set(history.map((r) => short(r.revision)))].slice(0, 10).join(', ');
          throw usageError(`promptops rollback: ${matches.length ? `"${args.to}" is ambiguous` : `"${args.to}" was never released in "${args.env}"`} (released revisions: ${known})`);
        }
        target = matches[0]!;
      }
      if (target === current.revision) {
        io.out(`${c.dim('=')} ${args.env}: ${short(target)} is already the release (#${current.seq})`);
        return;
      }
      try {
        const release = await rollback({ environment: args.env, store, key, revision: target, current, actor: actorOf(io, args.actor), ...commitOf(history, target) });
        io.out(`${c.green('✔')} ${args.env}: rolled back to ${short(target)} as #${release.seq} (was ${short(current.revision)})`);
      } catch (error) {
        if (error instanceof ConflictError) throw new ExitError(EXIT.failed, `promptops rollback: ${error.message}; check "promptops releases --env ${args.env}" and retry`);
        if (error instanceof PublishRefusedError) throw new ExitError(EXIT.failed, `promptops rollback: ${error.message}`);
        throw error;
      }
    }, { moves: true });
  },
});

const commitOf = (history: { revision: string; commit?: string; committed_at?: string }[], revision: string) => {
  const r = history.find((h) => h.revision === revision);
  return { ...(r?.commit ? { commit: r.commit } : {}), ...(r?.committed_at ? { committed_at: r.committed_at } : {}) };
};
