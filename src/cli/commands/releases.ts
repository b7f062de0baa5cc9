import { defineCommand } from 'citty';
import { positiveInt } from '../_shared.js';
import { checkEnvironments } from '../environments.js';
import { colors, type Io } from '../io.js';
import { repoStore, short, storeArgs, withStore } from '../publish-shared.js';
import { textTable } from '../table.js';

export default defineCommand({
  args: {
    env: { type: 'string', description: 'Environment (default: every environment with a release)', valueHint: 'name' },
    ...storeArgs,
    limit: { type: 'string', description: 'Most recent releases per environment (default 20)', valueHint: 'n' },
    json: { type: 'boolean', description: 'Machine-readable JSON output' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const limit = positiveInt('releases', '--limit', args.limit) ?? 20;
    const { repo, store } = await repoStore(io, 'releases', args);
    await withStore('releases', store, async () => {
      if (args.env) await checkEnvironments('releases', repo, [args.env], () => store.environments());
      const environments = args.env ? [args.env] : inConfigOrder(await store.environments(), Object.keys(repo.config.environments));
      const out: Record<string, unknown> = {};
      for (const environment of environments) {
        const history = await store.history(environment, { limit });
        out[environment] = history;
        if (args.json) continue;
        io.out(c.bold(`${environment}${history.length ? '' : ': no releases'}`));
        if (!history.length) continue;
        io.out(textTable(
          ['', '#', 'revision', 'commit', 'released (UTC)', 'action', 'by'],
          history.map((r, i) => [i === 0 ? c.green('●') : ' ', String(r.seq), short(r.revision), r.commit?.slice(0, 7) ?? '-', r.released_at.slice(0, 19).replace('T', ' '), r.action === 'rollback' ? c.yellow(`rollback from ${short(r.previous ?? '')}`) : r.action, r.actor]),
          c.dim,
          1,
        ));
      }
      if (args.json) io.out(JSON.stringify({ version: 1, store: store.url, environments: out }, null, 2));
      else if (environments.length === 0) io.out(`no releases in ${store.url} yet; publish with "promptops publish --env <env>"`);
    });
  },
});

/** Released environments in the order the config declares them (development → production); unknown ones after, by name. */
function inConfigOrder(released: string[], declared: string[]): string[] {
  const rank = (environment: string) => (declared.includes(environment) ? declared.indexOf(environment) : declared.length);
  return [...released].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
