import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type OpenAIServer, type Reply } from './helpers/openai-server.js';
import { evalRepo, localEnv } from './helpers/eval-repo.js';
import { run } from './helpers/repo.js';

/**
 * A provider that is down (5xx after the retries), overloaded (429 after the retries) or silent (every
 * attempt timed out) is an infrastructure failure: the test errors, the run goes on, and eval exits 3
 * (docs/eval.md "Errors", DESIGN §3) — never 1, which says the prompt failed its checks.
 */

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Results {
  results: { test: string; status: string; error?: { kind: string; message: string } }[];
  summary: { total: number; passed: number; errored: number; unreachable: number };
}

async function evalWith(reply: (question: string) => Reply, args: string[] = []) {
  server = await startOpenAIServer({ chat: (body) => reply(body.messages[1]!.content) });
  const dir = evalRepo(['bad', 'fine'].map((q) => `  - name: ${q}\n    vars: { question: ${q} }\n    assert: [{ type: contains, value: answer }]\n`).join(''));
  const out = join(dir, 'results.json');
  const result = await run(['eval', '--env', 'production', '--output', out, ...args], { cwd: dir, env: localEnv(server.url) });
  const file = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Results) : undefined;
  return { ...result, file, test: (name: string) => file!.results.find((r) => r.test === name)! };
}

const answer = (q: string): Reply => ({ content: `answer to ${q}` });

describe('eval exit code when the provider fails after the retries', () => {
  it('HTTP 500 on every attempt: the test errors as unreachable, the others run, exit 3', async () => {
    const r = await evalWith((q) => (q === 'bad' ? { status: 500, content: 'upstream exploded' } : answer(q)));
    expect(r.code).toBe(3);
    expect(r.test('bad')).toMatchObject({ status: 'error', error: { kind: 'unreachable', message: expect.stringContaining('local/chat-1: HTTP 500') } });
    expect(r.test('fine').status).toBe('pass');
    expect(r.file!.summary).toMatchObject({ total: 2, passed: 1, errored: 1, unreachable: 1 });
    expect(r.stdout).toContain('exit 3');
    expect(r.stderr).not.toContain('internal error');
  });

  it('every attempt timed out: exit 3, the test keeps its kind timeout', async () => {
    const r = await evalWith((q) => (q === 'bad' ? { hang: true } : answer(q)), ['--timeout', '150']);
    expect(r.code).toBe(3);
    expect(r.test('bad')).toMatchObject({ status: 'error', error: { kind: 'timeout' } });
    expect(r.test('fine').status).toBe('pass');
  });

  it('HTTP 429 on every attempt: exit 3, kind rate-limit', async () => {
    const r = await evalWith((q) => (q === 'bad' ? { status: 429, headers: { 'retry-after-ms': '10' }, content: 'quota exceeded' } : answer(q)));
    expect(r.code).toBe(3);
    expect(r.test('bad')).toMatchObject({ status: 'error', error: { kind: 'rate-limit' } });
  });

  it('a grader answering HTTP 503 after the retries errors the test as unreachable: exit 3', async () => {
    server = await startOpenAIServer({ chat: (body) => (body.model.includes('grader') ? { status: 503, content: 'grader down' } : answer('x')) });
    const dir = evalRepo(`  - name: graded\n    vars: { question: q }\n    assert: [{ type: llm-rubric, value: answers the question }]\n`);
    const out = join(dir, 'results.json');
    const r = await run(['eval', '--env', 'production', '--output', out], { cwd: dir, env: localEnv(server.url) });
    expect(r.code).toBe(3);
    const result = (JSON.parse(readFileSync(out, 'utf8')) as Results).results[0]!;
    expect(result).toMatchObject({ status: 'error', error: { kind: 'unreachable', message: expect.stringContaining('HTTP 503') } });
  });

  it('HTTP 400 (the request itself is wrong) stays a failed check: exit 1, kind http', async () => {
    const r = await evalWith((q) => (q === 'bad' ? { status: 400, content: 'context length exceeded' } : answer(q)));
    expect(r.code).toBe(1);
    expect(r.test('bad')).toMatchObject({ status: 'error', error: { kind: 'http', message: expect.stringContaining('HTTP 400') } });
    expect(r.file!.summary.unreachable).toBe(0);
  });
});
