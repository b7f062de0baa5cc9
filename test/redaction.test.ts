import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { redact, redactKnown } from '../src/core/redact.js';
import { openStore } from '../src/publish/open-store.js';
import { generateSigningKeys } from '../src/publish/sign.js';
import { evalRepo, localEnv } from './helpers/eval-repo.js';
import { startOpenAIServer } from './helpers/openai-server.js';
import { pullRequestRepo } from './helpers/git.js';
import { CONFIG_YAML, gitRepo, minimalRepo, PROMPT_YAML, repo, run } from './helpers/repo.js';
import { listenBundleServer } from './helpers/serve.js';

const KEYS = generateSigningKeys();
const env = { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' };

/** Every file under a directory, as text. */
function filesUnder(dir: string): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    text += statSync(path).isDirectory() ? filesUnder(path) : readFileSync(path, 'utf8');
  }
  return text;
}

describe('redact: URL userinfo, parseable or not', () => {
  const cases: [string, string][] = [
    ['postgres://user:ab/cd+ef==@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['postgres://user:p@ss@host/db', 'postgres://user:***@host/db'],
    ['postgres://user:a#b?c@host/db', 'postgres://user:***@host/db'],
    ['postgres://user:@host/db', 'postgres://user:***@host/db'],
    ['store "postgresql://deploy:hunter2@db.internal/prompts" is down', 'store "postgresql://deploy:***@db.internal/prompts" is down'],
    ['a https://u:one@h/x and b redis://:two@h2:6379 end', 'a https://u:***@h/x and b redis://:***@h2:6379 end'],
    ['url:\tpostgres://u:x/y@h/db\n  next: line a@b', 'url:\tpostgres://u:***@h/db\n  next: line a@b'],
  ];
  for (const [input, expected] of cases) it(input, () => expect(redact(input)).toBe(expected));

  it('leaves URLs without a password alone', () => {
    for (const text of ['postgres://deploy@db.internal/prompts', 'https://example.com:8443/path', 'file:///tmp/store', 'mail me at a@b.c, see https://x.y/z', 'http://127.0.0.1:8080/v1']) {
      expect(redact(text)).toBe(text);
    }
  });
});

describe('redact: password-like parameters', () => {
  it('masks the value of every secret-like name, in a query or in key=value form, and nothing else', () => {
    const names = ['password', 'sslpassword', 'token', 'access_token', 'api_key', 'apikey', 'secret', 'key', 'client_secret', 'sig', 'X-Api-Key'];
    const query = names.map((n, i) => `${n}=v${i}alue`).join('&');
    const out = redact(`postgres://u@h/db?sslmode=require&${query}&application_name=promptops#frag`);
    expect(out).toBe(`postgres://u@h/db?sslmode=require&${names.map((n) => `${n}=***`).join('&')}&application_name=promptops#frag`);
    expect(redact('host=db user=deploy password=hunter2 dbname=prompts')).toBe('host=db user=deploy password=*** dbname=prompts');
    // Names that merely contain a secret word in the middle, and token counts, stay.
    expect(redact('?max_tokens=100&keyboard=us&passage=3')).toBe('?max_tokens=100&keyboard=us&passage=3');
  });

  it('masks vendor-shaped keys and Authorization values', () => {
    expect(redact('Incorrect API key provided: sk-proj-AbCdEf0123456789. Also sk-ab***************6789 here.')).toBe('Incorrect API key provided: sk-proj-*** Also sk-*** here.');
    expect(redact('echo: Authorization: Bearer abcdefgh12345678')).toBe('echo: Authorization: Bearer ***');
    expect(redact('Basic dXNlcjpodW50ZXIy')).toBe('Basic ***');
    expect(redact('HTTP 401: Basic authentication failed; Bearer tokens expire')).toBe('HTTP 401: Basic authentication failed; Bearer tokens expire');
  });
});

describe('redact: known secrets in every form', () => {
  const key = 'sk-test-Zq9+/Kx7Lm2Np4Rs6Tu8';
  // Independent encodings: the forms a server echoes (raw, URL-encoded either case, base64 of the key
  // at each byte alignment — alone, in "Bearer …", in "user:…" — and base64url).
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const echoed = [
    key,
    encodeURIComponent(key),
    encodeURIComponent(key).toLowerCase(),
    b64(key),
    b64(`Bearer ${key}`),
    b64(`u:${key}`),
    Buffer.from(`xy${key}!`).toString('base64url'),
  ];
  // The middle of each base64 form: what must be gone, whatever the bytes around it.
  const fragments = [key, encodeURIComponent(key), b64(key).slice(0, 36), b64(`Bearer ${key}`).slice(12, 44), b64(`u:${key}`).slice(4, 36), Buffer.from(`xy${key}!`).toString('base64url').slice(4, 36)];

  it('removes the raw, URL-encoded and base64 forms wherever they are', () => {
    for (const form of echoed) {
      for (const out of [redact(`before ${form} after`, { secrets: [key] }), redactKnown(`before ${form} after`, [key])]) {
        for (const fragment of fragments) expect(out).not.toContain(fragment);
        expect(out.startsWith('before ')).toBe(true);
      }
    }
  });

  it('ignores secrets too short to be anything but a placeholder', () => {
    expect(redactKnown('abc abc', ['abc'])).toBe('abc abc');
  });
});

describe('redact is linear: tricky long inputs are handled whole', () => {
  it('an 80 KB line of URL-ish text and a megabyte of separators', () => {
    const unit = 'a://b:c@d ';
    const many = unit.repeat(8_000);
    expect(redact(many)).toBe('a://b:***@d '.repeat(8_000));
    // One token, no white space: the password runs to the last "@".
    const glued = `x://u:${'p:'.repeat(40_000)}@host`;
    expect(redact(glued)).toBe('x://u:***@host');
    const seps = '&'.repeat(1 << 20);
    expect(redact(seps)).toBe(seps);
    const colons = `${'://:'.repeat(100_000)}`;
    expect(redact(colons)).toBe(colons);
    const words = `${'key'.repeat(100_000)}=v`;
    expect(redact(words)).toBe(words);
  });
});

describe('store URLs with an unencoded reserved character in the password', () => {
  const bad = ['postgres://user:ab/cd+ef==@127.0.0.1:5432/db', 'postgres://user:12/cd+ef==@127.0.0.1:5432/db', 'postgresql://user:12#cd+ef==@127.0.0.1/db'];

  it('is a usage error (2) naming the fix, never printing the password, in every store command', async () => {
    const dir = repo(minimalRepo({ 'promptops.pub': KEYS.publicKey }));
    await gitRepo(dir);
    const commands = [['releases', '--store'], ['rollback', '--env', 'production', '--to', 'abcdef', '--store'], ['publish', '--env', 'production', '--store'], ['pull', '--env', 'production', '--source'], ['serve', '--port', '0', '--store']];
    for (const url of bad) {
      for (const command of commands) {
        const result = await run([...command, url], { cwd: dir, env });
        const output = result.stdout + result.stderr;
        expect({ command: command[0], url, code: result.code }).toEqual({ command: command[0], url, code: 2 });
        expect(output).toContain('percent-encode reserved characters in the user name and password');
        expect(output).toContain(`${url.split(':')[0]}://user:***@127.0.0.1`);
        expect(output).not.toMatch(/cd\+ef|ab\/cd|12\/cd|12#cd/);
        expect(output.trim().split('\n')).toHaveLength(1);
      }
    }
  }, 60_000);

  it('the configured store.url too: validate flags it without echoing it in the code frame', async () => {
    const dir = repo(minimalRepo({ 'promptops.config.yaml': `${CONFIG_YAML}store:\n  url: postgres://deploy:ab/cd+ef==@db.internal/prompts?sslpassword=k3y/x\n` }));
    const result = await run(['validate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('[secret-in-config]');
    expect(result.stdout + result.stderr).toContain('url: postgres://deploy:***@db.internal/prompts?sslpassword=***');
    expect(result.stdout + result.stderr).not.toMatch(/cd\+ef|k3y/);
  });
});

describe('password-like query parameters of a store that is down', () => {
  it('are masked in the exit-3 message of every store command', async () => {
    const dir = repo(minimalRepo({ 'promptops.pub': KEYS.publicKey }));
    await gitRepo(dir);
    const url = 'postgres://deploy@127.0.0.1:1/db?sslpassword=Zq9SslPw&token=Zq9Token&api_key=Zq9Api';
    for (const command of [['releases', '--store'], ['rollback', '--env', 'production', '--to', 'abcdef', '--store'], ['publish', '--env', 'production', '--store'], ['pull', '--env', 'production', '--source']]) {
      const result = await run([...command, url], { cwd: dir, env });
      expect({ command: command[0], code: result.code }).toEqual({ command: command[0], code: 3 });
      expect(result.stderr).toContain('postgres://deploy@127.0.0.1:1/db?sslpassword=***&token=***&api_key=***');
      expect(result.stdout + result.stderr).not.toContain('Zq9');
    }
  }, 60_000);

  it('pull from a server URL with credentials: the password is masked', async () => {
    const dir = repo(minimalRepo({ 'promptops.pub': KEYS.publicKey }));
    const result = await run(['pull', '--env', 'production', '--source', 'http://deploy:Zq9Secret@127.0.0.1:1/?access_token=Zq9Token'], { cwd: dir, env });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('deploy:***@127.0.0.1');
    expect(result.stdout + result.stderr).not.toContain('Zq9');
  });

  it('serve logs and 503 bodies mask the request token and the store URL', async () => {
    const store = openStore('postgres://deploy@127.0.0.1:1/db?sslpassword=Zq9SslPw', { root: '/' });
    const logged: string[] = [];
    onTestFinished(() => store.close());
    const { url } = await listenBundleServer({ store, log: (line) => logged.push(line) });
    const response = await fetch(`${url}/v1/environments/production/bundle?access_token=Zq9Token`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).toContain('?access_token=***');
    expect(logged.join('\n') + body).toContain('sslpassword=***');
    expect(logged.join('\n') + body).not.toContain('Zq9');
  });
});

describe('the diff and the PR comment', () => {
  it('mask a URL password and a key parameter that a changed prompt renders', async () => {
    const line = 'Say hello to {{name}}. Docs: https://deploy:Zq9Pw/x@docs.internal/a?api_key=Zq9Key&page=2';
    const dir = await pullRequestRepo(minimalRepo(), { 'prompts/greet.yaml': PROMPT_YAML.replace('version: 1', 'version: 2').replace('Say hello to {{name}}.', line).replace('description:', 'changelog: [{ version: 2, note: docs }]\ndescription:') });
    for (const format of ['markdown', 'text']) {
      const result = await run(['diff', '--no-usage', '--format', format], { cwd: dir });
      expect({ format, code: result.code, stderr: result.stderr }).toMatchObject({ format, code: 0 });
      // The rendered diff is there, masked.
      expect(result.stdout).toContain('+Say hello to {{name}}. Docs: https://deploy:***@docs.internal/a?api_key=***&page=2');
      expect(result.stdout).not.toContain('Zq9');
    }
  });
});

describe('an API key echoed by the provider', () => {
  const key = 'sk-test-Zq9+/Kx7Lm2Np4Rs6Tu8';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  /** Every form of the key the server sends back, and the parts of them that must be gone. */
  const echo = (authorization: string | undefined) => `auth=${authorization} enc=${encodeURIComponent(key)} b64=${b64(authorization ?? '')} basic=${b64(`u:${key}`)}`;
  const leaks = [key, encodeURIComponent(key), encodeURIComponent(key).toLowerCase(), 'Zq9+/Kx7', b64(`Bearer ${key}`).slice(12, 44), b64(`u:${key}`).slice(4, 36), b64(key).slice(0, 36)];

  for (const where of ['error body', 'completion'] as const) {
    it(`in the ${where}: never in output, results, JUnit or the cache`, async () => {
      const server = await startOpenAIServer({ chat: (_body, ctx) => (where === 'error body' ? { status: 400, content: echo(ctx.headers.authorization) } : { content: echo(ctx.headers.authorization) }) });
      onTestFinished(() => server.close());
      const dir = evalRepo(`  - name: t\n    vars: { question: q }\n    assert: [{ type: contains, value: nothing-like-this }]\n`);
      const result = await run(['eval', '--env', 'production', '--output', 'results.json', '--junit', 'junit.xml'], { cwd: dir, env: localEnv(server.url, { LOCAL_API_KEY: key }) });
      // The server really echoed the header: the test would prove nothing otherwise.
      expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
      // An errored test (HTTP 400) and a failed one both fail the run.
      expect(result.code).toBe(1);
      const results = readFileSync(join(dir, 'results.json'), 'utf8');
      expect(results).toContain('auth=Bearer ***');
      const everything = [result.stdout, result.stderr, results, readFileSync(join(dir, 'junit.xml'), 'utf8'), where === 'completion' ? filesUnder(join(dir, '.cache')) : ''].join('\n');
      for (const leak of leaks) expect(everything).not.toContain(leak);
    });
  }
});
