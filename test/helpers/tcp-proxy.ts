import { onTestFinished } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP forwarder in front of a real server (PostgreSQL), so a test can take the server
 * away from its clients and bring it back on the same port: `down()` refuses new connections and
 * cuts the open ones, `up()` listens again.
 */
export interface TcpProxy {
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  };

  const down = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  await listen();
  return { port, down, up: listen, close: down };
}

/** A proxy in front of the server of a connection URL, closed after the test; `url` goes through it. */
export async function proxiedUrl(target: string): Promise<{ url: string; proxy: TcpProxy }> {
  const direct = new URL(target);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
  onTestFinished(() => proxy.close());
  direct.port = String(proxy.port);
  return { url: direct.href, proxy };
}
