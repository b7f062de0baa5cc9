// Child process of bench/serve.ts: serves one target on a free loopback port and prints it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFileStore } from '../src/publish/file-store.js';
import { createBundleServer } from '../src/publish/serve.js';

const [target, storeDir, staticFile] = process.argv.slice(2);
let server;
if (target === 'static') {
  // The reference: a plain static file server with the same ETag check, nothing else.
  const bytes = readFileSync(staticFile!);
  const etag = `"${process.argv[5]}"`;
  server = createServer((req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length, etag });
    res.end(bytes);
  });
} else {
  server = createBundleServer({ store: createFileStore({ dir: storeDir! }) }).server;
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
