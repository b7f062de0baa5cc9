import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { defineCommand } from 'citty';
import { createBundleServer } from '../../publish/serve.js';
import { usageError } from '../errors.js';
import { colors, type Io } from '../io.js';
import {repoStore, storeArgs } from '../publish-shared.js';

export default defineCommand({
  args: {
    ...storeArgs,
    port: { type: 'string', description: 'Port to listen on (default 8080; 0 picks a free one)', valueHint: 'n' },
    host: { type: 'string', description: 'Address to bind (default 127.0.0.1; 0.0.0.0 for every interface)', valueHint: 'addr' },
    'token-env': { type: 'string', description: 'Environment variable holding the bearer token clients must send (default: none, open)', valueHint: 'NAME' },
    'max-wait': { type: 'string', description: 'Longest ?wait= long-poll in seconds (default 60)', valueHint: 's' },
  },
  async run({ args, data }) {
    const io = data as Io;
    const c = colors(io);
    const port = args.port === undefined ? 8080 : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`promptops serve: --port must be 0..65535, got "${args.port}"`);
    const maxWait = args['max-wait'] === undefined ? 60 : Number(args['max-wait']);
    if (!(maxWait >= 0)) throw usageError(`promptops serve: --max-wait must be a number of seconds, got "${args['max-wait']}"`);
    let token: string | undefined;
    if (args['token-env']) {
      token = io.env[args['token-env']];
      if (!token) throw usageError(`promptops serve: ${args['token-env']} is not set (it should hold the bearer token)`);
    }
    const { store } = await repoStore(io, 'serve', args);
    const { server, close } = createBundleServer({ store, token, maxWaitSeconds: maxWait, log: (line) => io.err(c.dim(line)) });
    server.listen(port, args.host ?? '127.0.0.1');
    await once(server, 'listening');
    const address = server.address() as AddressInfo;
    io.out(`serving ${store.url} on http://${address.address}:${address.port}${token ? ' (bearer token required)' : ''}`);
    // Graceful shutdown: stop accepting, answer pending long-polls, close the store.
    const signal = await Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
    io.err(`${signal}: shutting down`);
    await close();
    await store.close();
  },
});
