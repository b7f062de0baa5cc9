import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { defineCommand } from 'citty';
import { createBundleServer, MAX_WAIT_SECONDS } from '../../publish/serve.js';
import { EXIT, ExitError, usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import { positiveInt } from '../_shared.js';
import { repoStore, storeArgs } from '../publish-shared.js';

/** How long a shutdown waits for requests in flight before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export default defineCommand({
  args: {
    ...storeArgs,
    port: { type: 'string', description: 'Port to listen on (default 8080; 0 picks a free one)', valueHint: 'n' },
    host: { type: 'string', description: 'Address to bind (default 127.0.0.1; 0.0.0.0 for every interface)', valueHint: 'addr' },
    'token-env': { type: 'string', description: 'Environment variable holding the bearer token clients must send (default: none, open)', valueHint: 'NAME' },
    'max-wait': { type: 'string', description: `Longest ?wait= long-poll in seconds (default 60, at most ${MAX_WAIT_SECONDS})`, valueHint: 's' },
    'cache-mb': { type: 'string', description: 'Memory for bundles not currently released, in MiB (default 64); released ones are always kept', valueHint: 'n' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const port = args.port === undefined ? 8080 : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`promptops serve: --port must be 0..65535, got "${args.port}"`);
    const maxWait = args['max-wait'] === undefined ? 60 : Number(args['max-wait']);
    if (!(maxWait >= 0 && maxWait <= MAX_WAIT_SECONDS)) throw usageError(`promptops serve: --max-wait must be 0..${MAX_WAIT_SECONDS} seconds, got "${args['max-wait']}"`);
    let token: string | undefined;
    if (args['token-env']) {
      token = io.env[args['token-env']];
      if (!token) throw usageError(`promptops serve: ${args['token-env']} is not set (it should hold the bearer token)`);
    }
    const cacheMb = positiveInt('serve', '--cache-mb', args['cache-mb']) ?? 64;
    const { store } = await repoStore(io, 'serve', args);
    const { server, close } = createBundleServer({ store, token, maxWaitSeconds: maxWait, cacheBytes: cacheMb * 1024 * 1024, log: (line) => io.err(c.dim(line)) });
    server.listen(port, args.host ?? '127.0.0.1');
    try {
      // once() rejects on 'error': a busy port or an address this host does not have.
      await once(server, 'listening');
    } catch (error) {
      await store.close().catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === 'EADDRINUSE' ? ' (another process listens there: pick another --port)' : code === 'EADDRNOTAVAIL' ? ' (not an address of this host: check --host)' : '';
      throw new ExitError(EXIT.infra, `promptops serve: cannot listen on ${args.host ?? '127.0.0.1'}:${port}: ${(error as Error).message}${hint}`);
    }
    const address = server.address() as AddressInfo;
    io.out(`serving ${store.url} on http://${address.address}:${address.port}${token ? ' (bearer token required)' : ''}`);
    // Graceful shutdown: stop accepting, answer pending long-polls, let requests in flight finish
    // (at most SHUTDOWN_GRACE_MS), close the store.
    const signal = await Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
    io.err(`${signal}: shutting down`);
    const grace = setTimeout(() => {
      io.err(`requests still running after ${SHUTDOWN_GRACE_MS / 1000} s: closing their connections`);
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    await close();
    clearTimeout(grace);
    await store.close();
    io.err('stopped');
  },
});
