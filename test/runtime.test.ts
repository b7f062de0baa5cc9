import * as ajvModule from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant } from '../src/core/assign.js';
import { compileBundle, type Bundle, type CompiledBundle } from '../src/core/compile.js';
import { renderPrompt } from '../src/core/render.js';
import { loadRepository, type Repository } from '../src/core/repository.js';
import { checkVariables } from '../src/core/variables.js';
import { generateSigningKeys, privateKeyFrom, signBundle } from '../src/publish/sign.js';
import { BundleVerificationError, createClient, VariableError, type ClientEvents, type ClientOptions, type PromptOpsClient } from '../src/runtime/index.js';
import { EXAMPLE_ROOT, FEATURE_YAML, minimalRepo, PROMPT_YAML, repo, tempDir } from './helpers/repo.js';

const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
const KEYS = generateSigningKeys();
const PRIVATE_KEY = privateKeyFrom(KEYS.privateKey);

/** The signed envelope of a compiled bundle, as `promptops publish` stores it. */
const sign = (compiled: CompiledBundle, key = PRIVATE_KEY) =>
  signBundle(compiled, { schema_version: 1, revision: compiled.revision, environment: compiled.bundle.environment, created_at: '2026-11-21T00:00:00.000Z' }, key);

function compileRepo(root: string, environment: string): { repo: Repository; compiled: CompiledBundle } {
  const loaded = loadRepository({ root }).value;
  const compiled = compileBundle({ repo: loaded, environment }).value;
  if (!compiled) throw new Error(`cannot compile ${root} for ${environment}`);
  return { repo: loaded, compiled };
}

/** A second, different release of the minimal repository (the greeting text changes). */
const minimalEnvelope = (environment: string, greeting = 'Say hello to {{name}}.') =>
  sign(compileRepo(repo(minimalRepo({ 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello to {{name}}.', greeting) })), environment).compiled);

const revisionOf = (envelope: string) => (JSON.parse(envelope) as { manifest: { revision: string } }).manifest.revision;

interface BundleServer {
  url: string;
  /** Requests seen so far: path with query, and headers. */
  requests: { url: string; headers: IncomingHttpHeaders }[];
  /** Moves the environment's release; waiting long-polls answer at once. */
  publish(environment: string, envelope: string, etag?: string): void;
  /** Closes the server and every open connection (in-flight long-polls fail). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const servers: BundleServer[] = [];

/** The `promptops serve` protocol on loopback: ETag, If-None-Match → 304, ?wait=N long-poll, optional bearer token. */
async function bundleServer({ token }: { token?: string } = {}): Promise<BundleServer> {
  const releases = new Map<string, { body: string; etag: string }>();
  const waiters = new Set<() => void>();
  const requests: BundleServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('unauthorized');
      return;
    }
    const environment = /^\/v1\/environments\/([^/]+)\/bundle$/.exec(url.pathname)?.[1];
    const release = () => (environment ? releases.get(decodeURIComponent(environment)) : undefined);
    if (!release()) {
      res.writeHead(404).end('not found');
      return;
    }
    const wait = Number(url.searchParams.get('wait') ?? 0);
    const ifNoneMatch = req.headers['if-none-match'];
    if (wait > 0 && ifNoneMatch === release()!.etag) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, wait * 1000);
        waiters.add(done);
        res.on('close', done);
      });
      if (res.destroyed) return;
    }
    const current = release()!;
    if (ifNoneMatch === current.etag) res.writeHead(304, { etag: current.etag }).end();
    else res.writeHead(200, { etag: current.etag, 'content-type': 'application/json' }).end(current.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle: BundleServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    publish(environment, envelope, etag = `"${revisionOf(envelope)}"`) {
      releases.set(environment, { body: envelope, etag });
      for (const wake of [...waiters]) wake();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
  servers.push(handle);
  return handle;
}

const clients: PromptOpsClient[] = [];
function client(options: Partial<ClientOptions> & Pick<ClientOptions, 'source'>): PromptOpsClient {
  const c = createClient({ environment: 'production', publicKey: KEYS.publicKey, ...options });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => {})));
});

/** The next `event` of the client, or a failure after `ms`. */
function next<K extends keyof ClientEvents>(c: PromptOpsClient, event: K, ms = 5000): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${String(event)}" event within ${ms} ms`));
    }, ms);
    const off = c.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const example: Record<string, { repo: Repository; compiled: CompiledBundle; envelope: string }> = {};
beforeAll(() => {
  for (const environment of ENVIRONMENTS) {
    const { repo: loaded, compiled } = compileRepo(EXAMPLE_ROOT, environment);
    example[environment] = { repo: loaded, compiled, envelope: sign(compiled) };
  }
});

describe('runtime client: network', () => {
  it('becomes ready from the source, sending the bearer token, and reports its status', async () => {
    const server = await bundleServer({ token: 'secret-token' });
    server.publish('production', example.production!.envelope);
    const c = client({ source: `${server.url}/`, token: 'secret-token', pollIntervalMs: 60_000 });
    const change = next(c, 'change');
    await c.ready();
    expect(await change).toEqual({ revision: example.production!.compiled.revision, source: 'network', rollback: false });
    expect(server.requests[0]).toMatchObject({ url: '/v1/environments/production/bundle', headers: { authorization: 'Bearer secret-token' } });
    const status = c.status();
    expect(status).toMatchObject({ environment: 'production', revision: example.production!.compiled.revision, source: 'network', stale: false });
    expect(Date.parse(status.fetchedAt!)).toBeGreaterThan(Date.now() - 5000);
    expect(status.ageMs).toBeLessThan(5000);
  });

  it('rejects ready() when the source refuses it and there is no cache', async () => {
    const server = await bundleServer({ token: 'secret-token' });
    server.publish('production', example.production!.envelope);
    const c = client({ source: server.url, pollIntervalMs: 60_000 });
    await expect(c.ready()).rejects.toThrow(/answered 401.*no cacheDir configured/);
    expect(() => c.render('chatbot/system', {})).toThrow(/await client.ready\(\)/);
  });

  it("renders every prompt of the example repository exactly as the compiler's renderPrompt does", async () => {
    const server = await bundleServer();
    let compared = 0;
    for (const environment of ENVIRONMENTS) {
      const { repo: loaded, compiled, envelope } = example[environment]!;
      server.publish(environment, envelope);
      const c = client({ source: server.url, environment, pollIntervalMs: 60_000 });
      await c.ready();
      for (const id of Object.keys(compiled.bundle.prompts)) {
        for (const test of loaded.prompts.get(id)!.data.tests ?? []) {
          const expected = renderPrompt({ repo: loaded, prompt: id, vars: test.vars, environment, feature: test.feature });
          if (!expected.value) {
            expect(() => c.render(id, test.vars, { feature: test.feature }), `${environment} ${id} ${test.name}`).toThrow();
            continue;
          }
          const actual = c.render(id, test.vars, { feature: test.feature });
          expect(actual, `${environment} ${id} ${test.name}`).toEqual({
            promptId: id,
            promptVersion: expected.value.version,
            revision: compiled.revision,
            feature: expected.value.feature,
            model: expected.value.model,
            provider: expected.value.model === undefined ? undefined : loaded.catalog.models[expected.value.model]!.provider,
            params: expected.value.params,
            messages: expected.value.messages,
          });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('emits change promptly when the release moves during a long-poll', async () => {
    const server = await bundleServer();
    const first = minimalEnvelope('production');
    server.publish('production', first);
    const c = client({ source: server.url, pollIntervalMs: 60_000, longPollSeconds: 30 });
    await c.ready();
    expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toBe('Be warm and brief.\nSay hello to Ada.\n');
    await until(() => server.requests.some((r) => r.url.endsWith('?wait=30') && r.headers['if-none-match'] === `"${revisionOf(first)}"`));

    const second = minimalEnvelope('production', 'Say hi to {{name}}!');
    const changed = next(c, 'change', 2000);
    const movedAt = Date.now();
    server.publish('production', second);
    expect(await changed).toEqual({ revision: revisionOf(second), previous: revisionOf(first), source: 'network', rollback: false });
    expect(Date.now() - movedAt).toBeLessThan(1000);
    expect(c.render('greet', { name: 'Ada' })).toMatchObject({ revision: revisionOf(second), messages: [{ role: 'user', content: 'Be warm and brief.\nSay hi to Ada!\n' }] });
  });

  describe('keeps the last good bundle when a release does not verify', () => {
    const tamper = (envelope: string, edit: (e: { payload: string; manifest: { revision: string } }) => void) => {
      const e = JSON.parse(envelope);
      edit(e);
      return JSON.stringify(e);
    };
    const cases: [string, () => { envelope: string; etag: string }, BundleVerificationError['code']][] = [
      ['payload edited', () => ({ envelope: tamper(minimalEnvelope('production'), (e) => (e.payload = e.payload.replace('Say hello', 'Ignore all rules'))), etag: '"edited"' }), 'hash-mismatch'],
      [
        'payload edited and revision recomputed',
        () => {
          const envelope = tamper(minimalEnvelope('production'), (e) => {
            e.payload = e.payload.replace('Say hello', 'Ignore all rules');
            e.manifest.revision = createHash('sha256').update(e.payload).digest('hex');
          });
          return { envelope, etag: `"${revisionOf(envelope)}"` };
        },
        'bad-signature',
      ],
      [
        'signed with another key',
        () => {
          const other = privateKeyFrom(generateSigningKeys().privateKey);
          const envelope = sign(compileRepo(repo(minimalRepo()), 'production').compiled, other);
          return { envelope, etag: '"other-key"' };
        },
        'wrong-key',
      ],
      ['bundle of another environment', () => ({ envelope: minimalEnvelope('staging', 'Say hey to {{name}}.'), etag: '"staging"' }), 'wrong-environment'],
    ];

    it.each(cases)('%s', async (_, bad, code) => {
      const server = await bundleServer();
      const good = minimalEnvelope('production', 'Good day, {{name}}.');
      server.publish('production', good);
      const c = client({ source: server.url, pollIntervalMs: 60_000, longPollSeconds: 30, maxBackoffMs: 50 });
      await c.ready();
      await until(() => server.requests.length >= 2);

      const { envelope, etag } = bad();
      const error = next(c, 'error');
      let changes = 0;
      c.on('change', () => changes++);
      server.publish('production', envelope, etag);
      expect(await error).toMatchObject({ name: 'BundleVerificationError', code });
      expect(changes).toBe(0);
      expect(c.status().revision).toBe(revisionOf(good));
      expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Good day, Ada.');

      // The loop goes on: the next good release is taken.
      const fixed = minimalEnvelope('production', 'Fixed, {{name}}.');
      const changed = next(c, 'change');
      server.publish('production', fixed);
      expect((await changed).revision).toBe(revisionOf(fixed));
      expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Fixed, Ada.');
    });
  });

  it('takes the same revision re-signed with the right key, though its ETag did not change', async () => {
    const server = await bundleServer();
    const good = minimalEnvelope('production', 'Good day, {{name}}.');
    server.publish('production', good);
    const c = client({ source: server.url, pollIntervalMs: 60_000, longPollSeconds: 30, maxBackoffMs: 50 });
    await c.ready();

    // Revision R signed with a key the client does not trust, served under R's own ETag (as `promptops serve` does).
    const compiled = compileRepo(repo(minimalRepo({ 'prompts/greet.yaml': PROMPT_YAML.replace('Say hello to {{name}}.', 'Welcome, {{name}}.') })), 'production').compiled;
    const wrong = sign(compiled, privateKeyFrom(generateSigningKeys().privateKey));
    const error = next(c, 'error');
    server.publish('production', wrong);
    expect(await error).toMatchObject({ code: 'wrong-key' });
    expect(c.status().revision).toBe(revisionOf(good));

    // `publish` re-signs R in the store: same revision, same ETag, now a signature the client verifies.
    const resigned = sign(compiled);
    expect(revisionOf(resigned)).toBe(revisionOf(wrong));
    const changed = next(c, 'change');
    server.publish('production', resigned);
    expect((await changed).revision).toBe(compiled.revision);
    expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Welcome, Ada.');
  });

  it('bounds huge intervals: longPollSeconds asks for at most 3600 s, and an interval past the timer range does not become a busy loop', async () => {
    const server = await bundleServer();
    server.publish('production', minimalEnvelope('production'));
    const errors: Error[] = [];
    const c = client({ source: server.url, longPollSeconds: 1e9, pollIntervalMs: 1e13 });
    c.on('error', (e) => errors.push(e));
    await c.ready();
    await new Promise((r) => setTimeout(r, 300));
    // The first fetch, then one long-poll held by the server: no storm of aborted requests.
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(server.requests.filter((r) => r.url.includes('wait=')).map((r) => new URL(r.url, 'http://x').searchParams.get('wait'))).toEqual(['3600']);
    expect(errors).toEqual([]);
  });

  it('keeps serving when the source goes away, emits stale once, and recovers', async () => {
    const server = await bundleServer();
    server.publish('production', example.production!.envelope);
    const c = client({ source: server.url, pollIntervalMs: 100, longPollSeconds: 30, maxBackoffMs: 100 });
    await c.ready();
    await until(() => server.requests.length >= 2);
    let stales = 0;
    c.on('stale', () => stales++);
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    const stale = next(c, 'stale');
    const wentAway = Date.now();
    await server.stop();

    const event = await stale;
    expect(Date.now() - wentAway).toBeGreaterThanOrEqual(190);
    expect(event).toMatchObject({ revision: example.production!.compiled.revision });
    expect(event.error.message).toContain(server.url);
    expect(c.status()).toMatchObject({ stale: true, source: 'network', revision: example.production!.compiled.revision });
    expect(c.render('search/query-rewrite', { query: 'beach', today: '2026-11-21' }).revision).toBe(example.production!.compiled.revision);
    await new Promise((r) => setTimeout(r, 400));
    expect(stales).toBe(1);
    expect(errors.length).toBeGreaterThan(1);

    await server.start();
    await until(() => !c.status().stale);
    expect(c.status()).toMatchObject({ stale: false, source: 'network' });
    expect(c.status().ageMs).toBeLessThan(1000);
  });

  it('starts from the disk cache when the source is down, and refuses a tampered cache', async () => {
    const cacheDir = tempDir();
    const server = await bundleServer();
    server.publish('production', example.production!.envelope);
    const first = client({ source: server.url, cacheDir, pollIntervalMs: 60_000 });
    await first.ready();
    const cached = join(cacheDir, 'production.json');
    await until(() => existsSync(cached));
    expect(readFileSync(cached, 'utf8')).toBe(example.production!.envelope);
    await first.close();
    await server.stop();

    const second = client({ source: server.url, cacheDir, pollIntervalMs: 60_000 });
    const errors: Error[] = [];
    second.on('error', (e) => errors.push(e));
    await second.ready();
    expect(second.status()).toMatchObject({ source: 'cache', revision: example.production!.compiled.revision, stale: false });
    expect(errors[0]?.message).toContain(server.url);
    expect(second.render('shared/safety-check', { content: 'hello', content_type: 'user_message' }).messages.length).toBeGreaterThan(0);

    writeFileSync(cached, readFileSync(cached, 'utf8').replace('"payload":"{', '"payload":"{ '));
    const third = client({ source: server.url, cacheDir, pollIntervalMs: 60_000 });
    await expect(third.ready()).rejects.toThrow(/no verified bundle for "production".*no usable cache/);
  });

  it('reads a local envelope file (path or file:// URL) and picks up a new one on the next poll', async () => {
    const dir = tempDir();
    const file = join(dir, 'production.json');
    const first = minimalEnvelope('production');
    writeFileSync(file, first);
    const c = client({ source: pathToFileURL(file).href, pollIntervalMs: 20 });
    await c.ready();
    expect(c.status()).toMatchObject({ revision: revisionOf(first), source: 'network' });

    const second = minimalEnvelope('production', 'Hello again, {{name}}.');
    const changed = next(c, 'change');
    writeFileSync(`${file}.tmp`, second);
    renameSync(`${file}.tmp`, file);
    expect(await changed).toMatchObject({ revision: revisionOf(second), previous: revisionOf(first) });
    expect(c.render('greet', { name: 'Ada' }).messages[0]!.content).toContain('Hello again, Ada.');
  });
});

describe('runtime client: rendering, features and experiments', () => {
  let c: PromptOpsClient;
  let bundle: Bundle;
  const fileClient = async (environment: string, options: Partial<ClientOptions> = {}) => {
    const file = join(tempDir(), `${environment}.json`);
    writeFileSync(file, example[environment]!.envelope);
    const created = client({ source: file, environment, pollIntervalMs: 60_000, ...options });
    await created.ready();
    return created;
  };
  beforeAll(() => {
    bundle = example.development!.compiled.bundle;
  });

  it('checks variables like the compiler: same inputs rejected, for the same variables', async () => {
    c = await fileClient('development');
    const wrongType: Record<string, unknown> = { string: 42, number: 'x', integer: 1.5, boolean: 'yes', array: 'x', object: [] };
    let checked = 0;
    for (const [id, prompt] of Object.entries(bundle.prompts)) {
      const base = example.development!.repo.prompts.get(id)!.data.tests?.[0]?.vars ?? {};
      const inputs: Record<string, unknown>[] = [base, { ...base, unexpected: 1 }];
      for (const [name, spec] of Object.entries(prompt.variables)) {
        const { [name]: _, ...without } = base;
        inputs.push(without, { ...base, [name]: wrongType[spec.type] });
        if (spec.maxLength !== undefined) inputs.push({ ...base, [name]: spec.type === 'array' ? Array(spec.maxLength + 1).fill('x') : 'x'.repeat(spec.maxLength + 1) });
        if (spec.minLength !== undefined && spec.minLength > 0) inputs.push({ ...base, [name]: spec.type === 'array' ? [] : '' });
        if (spec.pattern !== undefined) inputs.push({ ...base, [name]: '\u0000 not it' });
        if (spec.enum) inputs.push({ ...base, [name]: '__not-in-enum__' });
        if (spec.minimum !== undefined) inputs.push({ ...base, [name]: spec.minimum - 1 });
        if (spec.maximum !== undefined) inputs.push({ ...base, [name]: spec.maximum + 1 });
        if (spec.items) inputs.push({ ...base, [name]: [42] }, { ...base, [name]: [{ unexpected: true }] });
        if (spec.properties) inputs.push({ ...base, [name]: { ...(base[name] as object), ...Object.fromEntries(Object.keys(spec.properties).map((k) => [k, 42])) } });
      }
      for (const input of inputs) {
        const expected = checkVariables(prompt.variables, input).diagnostics.map((d) => d.path);
        let actual: unknown[] = [];
        try {
          c.render(id, input);
        } catch (error) {
          if (!(error instanceof VariableError)) throw error;
          actual = error.issues.map((d) => d.path);
        }
        expect(actual, `${id} ${JSON.stringify(input).slice(0, 200)}`).toEqual(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('renders every helper and built-in like the compiler, including helpers only a partial calls', async () => {
    const prompt = `version: 1
status: approved
variables:
  name: { type: string }
  n: { type: integer, default: 3 }
  tags: { type: array, default: [a, b] }
  user: { type: object, default: { plan: pro, seats: 4 } }
  note: { type: string, required: false }
messages:
  - role: system
    content: |
      {{#if (and (eq n 3) (ne name "x") (gt n 1) (gte n 3) (lt n 4) (lte n 3) (or false true) (not false))}}cmp ok{{/if}}
      {{#unless note}}no note{{else}}{{trim note}}{{/unless}} {{default note "fallback"}}
      {{#each tags}}{{@index}}={{upper this}}{{#if @last}}.{{else}}, {{/if}}{{/each}} {{join tags "+"}} {{length tags}} {{#each tags}}{{../n}}{{/each}}
      {{#with user}}{{plan}}/{{seats}} {{@root.name}}{{/with}} {{lookup user "plan"}} {{json user}}
  - role: user
    name: tester
    content: "{{> deep}} {{truncate name 4}} {{lower name}}"
`;
    const root = repo(minimalRepo({ 'prompts/helpers.yaml': prompt, 'prompts/_partials/deep.hbs': '{{> deeper}}', 'prompts/_partials/deeper.hbs': '{{json (lookup user "seats")}} {{upper name}}', 'features/greeter.yaml': FEATURE_YAML.replace('  - greet\n', '  - greet\n  - helpers\n') }));
    const { repo: loaded, compiled } = compileRepo(root, 'production');
    const file = join(tempDir(), 'production.json');
    writeFileSync(file, sign(compiled));
    c = client({ source: file, pollIntervalMs: 60_000 });
    await c.ready();
    for (const vars of [{ name: 'Ada Lovelace' }, { name: 'x', n: 2, tags: [], note: '  hi  ', user: { plan: 'free', seats: 1 } }]) {
      const expected = renderPrompt({ repo: loaded, prompt: 'helpers', vars, environment: 'production' }).value!;
      expect(expected.messages[0]!.content).not.toBe('');
      expect(c.render('helpers', vars).messages).toEqual([expected.messages[0], { ...expected.messages[1], name: 'tester' }]);
    }
    const [system, user] = c.render('helpers', { name: 'Ada Lovelace' }).messages;
    expect(system!.content).toBe('cmp ok\nno note fallback\n0=A, 1=B. a+b 2 33\npro/4 Ada Lovelace pro {"plan":"pro","seats":4}\n');
    expect(user!.content).toBe('4 ADA LOVELACE Ada… ada lovelace');

    // Strict templates: a nested value that is missing is an error, never an empty string.
    const missing = renderPrompt({ repo: loaded, prompt: 'helpers', vars: { name: 'Ada', user: { seats: 1 } }, environment: 'production' });
    expect(missing.diagnostics[0]).toMatchObject({ code: 'render-error', message: 'value "plan" is not defined' });
    for (let call = 0; call < 2; call++) {
      expect(() => c.render('helpers', { name: 'Ada', user: { seats: 1 } })).toThrow(expect.objectContaining({ name: 'RenderError', message: 'prompt "helpers": value "plan" is not defined', line: 4 }));
    }
    // A failed render leaves nothing behind: the next one is whole.
    expect(c.render('helpers', { name: 'Ada Lovelace' }).messages[0]).toEqual(system);
  });

  it('says clearly what is wrong with the input, and applies defaults', async () => {
    c = await fileClient('production');
    const render = (vars: Record<string, unknown>) => () => c.render('search/query-rewrite', vars);
    expect(render({ today: '2026-11-21' })).toThrow('invalid variables for prompt "search/query-rewrite": missing required variable "query" (What the user typed in the search box.)');
    expect(render({ query: 'beach', today: 'yesterday' })).toThrow('variable "today" must match /^\\d{4}-\\d{2}-\\d{2}$/');
    expect(render({ query: 'x'.repeat(501), today: '2026-11-21' })).toThrow('variable "query" must have at most 500 characters, got 501');
    expect(render({ query: 42, today: '2026-11-21' })).toThrow('variable "query" must be a string, got number 42');
    // Lengths count code points: 500 emoji are 1,000 UTF-16 units and still fit in maxLength 500.
    expect(c.render('search/query-rewrite', { query: '📷'.repeat(500), today: '2026-11-21' }).messages[0]!.content).toContain('📷'.repeat(500));
    expect(render({ query: '📷'.repeat(501), today: '2026-11-21' })).toThrow('variable "query" must have at most 500 characters, got 501');
    expect(render({ query: 'beach', today: '2026-11-21', recent_queries: ['ok', 7] })).toThrow('variable "recent_queries" at /1 must be string');
    try {
      c.render('search/query-rewrite', { qurey: 'beach', today: '2026-11-21' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(VariableError);
      expect((error as VariableError).issues).toEqual([
        { code: 'invalid-variables', severity: 'error', path: ['query'], message: 'missing required variable "query" (What the user typed in the search box.)' },
        { code: 'invalid-variables', severity: 'error', path: ['qurey'], message: 'variable "qurey" is not declared by the prompt', hint: 'did you mean "query"?' },
      ]);
    }
    const rendered = c.render('search/query-rewrite', { query: 'beach', today: '2026-11-21' });
    expect(rendered.messages[0]!.content).toContain("The user's locale is en-US.");
    expect(() => c.render('search/query-rewrit', {})).toThrow('unknown prompt "search/query-rewrit" in bundle');
    expect(() => c.render('search/query-rewrite', { query: 'beach', today: '2026-11-21' }, { feature: 'nope' })).toThrow('unknown feature "nope"');
  });

  it('renders with the model and params of the feature asked for, and returns frozen params', async () => {
    c = await fileClient('production');
    const features = Object.entries(example.production!.compiled.bundle.features).filter(([, f]) => f.prompts.includes('shared/safety-check'));
    expect(features.length).toBeGreaterThan(1);
    for (const [name, feature] of features) {
      const rendered = c.render('shared/safety-check', { content: 'hi', content_type: 'user_message' }, { feature: name });
      expect(rendered).toMatchObject({ feature: name, model: feature.model, params: { ...example.production!.compiled.bundle.prompts['shared/safety-check']!.params, ...feature.params } });
      expect(Object.isFrozen(rendered.params)).toBe(true);
    }
    expect(c.render('shared/safety-check', { content: 'hi', content_type: 'user_message' }).feature).toBe(features[0]![0]);
  });

  it('gives feature assignments and experiment variants (GrowthBook hash v2, coverage, hash attribute)', async () => {
    c = await fileClient('production');
    const { features, experiments } = example.production!.compiled.bundle;
    expect(c.feature('chatbot')).toEqual(features.chatbot);
    expect(Object.isFrozen(c.feature('chatbot'))).toBe(true);
    expect(c.feature('nope')).toBeUndefined();

    const experiment = experiments['chatbot-tone']!;
    let enrolled = 0;
    for (let i = 0; i < 2000; i++) {
      const unit = `user-${i}`;
      const index = assignVariant({ seed: experiment.seed, coverage: experiment.coverage, weights: experiment.variants.map((v) => v.weight), unit });
      const assigned = c.assign('chatbot-tone', unit);
      expect(c.assign('chatbot-tone', { [experiment.hash_attribute]: unit, other: 'x' })).toEqual(assigned);
      if (index < 0) {
        expect(assigned).toBeUndefined();
        continue;
      }
      enrolled++;
      const variant = experiment.variants[index]!;
      expect(assigned).toEqual({ experiment: 'chatbot-tone', feature: 'chatbot', variant: variant.name, index, ...(variant.prompt ? { prompt: variant.prompt } : {}), ...(variant.model ? { model: variant.model } : {}), ...(variant.params ? { params: variant.params } : {}) });
    }
    expect(enrolled / 2000).toBeGreaterThan(experiment.coverage - 0.05);
    expect(enrolled / 2000).toBeLessThan(experiment.coverage + 0.05);
    expect(c.assign('chatbot-tone', { other: 'x' })).toBeUndefined();
    expect(c.assign('chatbot-tone', '')).toBeUndefined();
    expect(c.assign('no-such-experiment', 'user-1')).toBeUndefined();
  });

  it('logs usage records that validate against the usage-log JSON schema', async () => {
    const log = join(tempDir(), 'usage', 'calls.jsonl');
    const received: unknown[] = [];
    c = await fileClient('production', { usageLog: log });
    const sinkClient = await fileClient('production', { usageLog: (record) => received.push(record) });

    const unit = Array.from({ length: 100 }, (_, i) => `user-${i}`).find((u) => c.assign('chatbot-tone', u)?.prompt)!;
    const assignment = c.assign('chatbot-tone', unit)!;
    const rendered = c.render(assignment.prompt!, { question: 'How do I share an album?', user_name: 'Ada', plan: 'free' });
    const records = [
      c.logUsage({ status: 'success', input_tokens: 812, output_tokens: 95, latency_ms: 1420, user_id: unit }, { rendered, assignment }),
      c.logUsage({ status: 'error', feature: 'ai-search', provider: 'openai', model: 'gpt-5.6-luna', metadata: { reason: 'rate limit' } }),
      sinkClient.logUsage({ status: 'timeout', latency_ms: 30_000 }, { rendered }),
    ];
    expect(() => c.logUsage({ status: 'success' })).toThrow('usage record lacks feature, provider, model');
    await c.close();

    const written = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(written).toEqual(records.slice(0, 2));
    expect(received).toEqual(records.slice(2));
    expect(records[0]).toMatchObject({
      environment: 'production',
      feature: 'chatbot',
      team: 'support-experience',
      prompt_id: 'chatbot/system-friendly',
      prompt_version: rendered.promptVersion,
      bundle_revision: example.production!.compiled.revision,
      experiment: 'chatbot-tone',
      variant: 'friendly',
      provider: 'openai',
      model: rendered.model,
    });
    expect(new Set(records.map((r) => r.request_id)).size).toBe(3);

    // CommonJS packages: the default export sits one level deeper under NodeNext.
    const Ajv2020 = ajvModule.default.default ?? ajvModule.default;
    const addFormats = formatsModule.default.default ?? formatsModule.default;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(EXAMPLE_ROOT, 'schemas/usage-log.schema.json'), 'utf8')));
    for (const record of [...written, ...received]) expect(validate(record) ? [] : validate.errors).toEqual([]);
  });
});

describe('runtime bundle', () => {
  it('is small, holds none of the toolchain, and renders like the source', async () => {
    const outdir = tempDir();
    const result = await build({ entryPoints: { runtime: join(EXAMPLE_ROOT, 'src/runtime/index.ts') }, outdir, bundle: true, format: 'esm', platform: 'node', target: 'node20.19', minify: true, metafile: true, logLevel: 'silent' });
    const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find((f) => f.endsWith('runtime.js'))!]!.bytes;
    expect(bytes).toBeLessThan(80 * 1024);
    const text = readFileSync(join(outdir, 'runtime.js'), 'utf8');
    for (const name of ['ajv', '@duckdb', 'octokit', 'tiktoken']) expect(text, name).not.toContain(name);
    const inputs = Object.keys(result.metafile.inputs);
    for (const forbidden of [/node_modules\/(ajv|yaml|js-yaml|@sinclair|@duckdb|@octokit|tiktoken|canonicalize)\//, /handlebars\/dist\/cjs\/handlebars\/compiler\//, /src\/cli\//]) {
      expect(inputs.filter((i) => forbidden.test(i)), String(forbidden)).toEqual([]);
    }

    const runtime = (await import(pathToFileURL(join(outdir, 'runtime.js')).href)) as typeof import('../src/runtime/index.js');
    const file = join(outdir, 'production.json');
    writeFileSync(file, example.production!.envelope);
    const bundled = runtime.createClient({ source: file, environment: 'production', publicKey: KEYS.publicKey, pollIntervalMs: 60_000 });
    clients.push(bundled);
    await bundled.ready();
    const vars = { query: 'beach', today: '2026-11-21', recent_queries: ['sunset'] };
    const expected = renderPrompt({ repo: example.production!.repo, prompt: 'search/query-rewrite', vars, environment: 'production' }).value!;
    expect(bundled.render('search/query-rewrite', vars).messages).toEqual(expected.messages);
  });
});
