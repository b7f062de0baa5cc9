import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { createBundleServer, type ServeOptions } from '../../src/publish/serve.js';

/** `createBundleServer` listening on a free loopback port, closed when the test finishes. */
export async function listenBundleServer(options: ServeOptions): Promise<{ url: string; port: number }> {
  const served = createBundleServer(options);
  served.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => served.server.once('listening', resolve));
  onTestFinished(() => served.close());
  const port = (served.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}
