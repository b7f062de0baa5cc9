import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);

/**
 * A real PostgreSQL for tests: `PROMPTOPS_TEST_PG_URL` if set; otherwise a private throwaway cluster
 * started for this test file (initdb + pg_ctl from /usr/lib/postgresql or PATH). Without either the
 * tests are skipped, except under CI, where they fail instead.
 */
export interface TestPostgres {
  /** Why the PostgreSQL tests are skipped; undefined when they run. */
  skipReason: string | undefined;
  /** A fresh, empty database for the calling test, as a connection URL. */
  database(): Promise<string>;
}

/** Registers the server's start and stop hooks: call once at the top level of a test file. */
export function usePostgres(): TestPostgres {
  const external = process.env.PROMPTOPS_TEST_PG_URL;
  const bin = external ? undefined : findBinaries();
  const missing = external ? undefined : !bin
    ? 'PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or PATH) and PROMPTOPS_TEST_PG_URL is not set'
    : process.getuid?.() === 0 && !postgresUser() ? 'running as root, where initdb needs a "postgres" user to run as, and there is none' : undefined;
  let server: { url: string; stop(): Promise<void> } | undefined;
  const created: string[] = [];

  beforeAll(async () => {
    if (missing) {
      // Under CI a missing PostgreSQL is a broken runner, not a reason to skip.
      if (process.env.CI) throw new Error(`${missing} (required under CI)`);
      return;
    }
    server = external ? { url: external, stop: async () => undefined } : await startCluster(bin!);
  });
  afterAll(async () => {
    if (external && created.length) await withAdmin(external, async (admin) => {
      for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    });
    await server?.stop();
  });

  return {
    skipReason: missing && !process.env.CI ? missing : undefined,
    async database() {
      const name = `promptops_test_${process.pid}_${created.length}_${Math.random().toString(36).slice(2, 8)}`;
      await withAdmin(server!.url, (admin) => admin.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = new URL(server!.url);
      url.pathname = `/${name}`;
      return url.href;
    },
  };
}

async function withAdmin<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

function findBinaries(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const dirs = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), ...(process.env.PATH ?? '').split(delimiter)];
  return dirs.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()), gid: Number(execFileSync('id', ['-g', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()) };
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startCluster(bin: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'promptops-pg-'));
  // initdb refuses to run as root: run the server as the postgres user, in a directory it owns.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, postgresUser()!.uid, postgresUser()!.gid);
  const pgCmd = (tool: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args));
  const data = join(dir, 'data');
  const port = await freePort();
  await pgCmd('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  // Durability settings off: a throwaway cluster, and the tests measure the store, not the disk.
  const settings = `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  await pgCmd('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', settings, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await pgCmd('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
