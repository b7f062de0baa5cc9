import { GrowthBookClient } from '@growthbook/growthbook';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createClient, type PromptOpsClient } from '../src/runtime/index.js';
import { startOpenAIServer } from './helpers/openai-server.js';
import { EXAMPLE_ROOT, gitRepo, minimalRepo, repo, run } from './helpers/repo.js';
import { KEYS } from './helpers/runtime-bundle.js';

/**
 * The service example of docs/runtime.md, end to end: `promptops publish` → a real `promptops serve`
 * process → the runtime client → an OpenAI-compatible gateway on loopback → usage log →
 * `promptops experiment report`. The experiment compares models (and a prompt): each user's calls must
 * reach the model of the variant GrowthBook's SDK assigns, and the usage log must say so.
 */
const FEATURE = `name: chatbot
status: active
prompts: [chatbot/system]
environments:
  production:
    model: openai/gpt-6-luna
    params: { top_p: 0.9 }
    fallbacks: [anthropic/claude-haiku-4-5, google/gemini-3.1-flash-lite]
`;
const SYSTEM = `version: 4
status: approved
variables:
  question: { type: string }
  user_name: { type: string }
model: { temperature: 0.3 }
messages:
  - role: system
    content: You are the help assistant. Be precise.
  - role: user
    content: "{{user_name}} asks: {{question}}"
`;
const FRIENDLY = `version: 2
status: approved
variables:
  question: { type: string }
  user_name: { type: string }
messages:
  - role: system
    content: You are the friendly help assistant. Greet {{user_name}} by name.
  - role: user
    content: "{{question}}"
`;
const EXPERIMENT = `name: chatbot-model
feature: chatbot
type: a_b_test
status: running
hash_attribute: user_id
seed: chatbot-model-1
coverage: 0.8
variants:
  - { name: control, weight: 40 }
  - name: haiku-friendly
    weight: 60
    prompt: chatbot/system-friendly
    model: anthropic/claude-haiku-4-5
    params: { temperature: 0.5 }
`;

/** `promptops serve` as a child process on an ephemeral port; killed when the test ends. */
async function serve(dir: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(EXAMPLE_ROOT, 'src/cli/main.ts'), 'serve', '--root', dir, '--port', '0'], { cwd: EXAMPLE_ROOT, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
}

interface User {
  id: string;
  firstName: string;
}

/** docs/runtime.md's `answer()`, with the client and the gateway passed in. */
async function answer(prompts: PromptOpsClient, llm: OpenAI, user: User, question: string): Promise<string> {
  const rendered = prompts.render('chatbot/system', { question, user_name: user.firstName }, { feature: 'chatbot', unit: { user_id: user.id } });
  const targets = [rendered, ...prompts.fallbacks('chatbot').filter((f) => f.model !== rendered.model)];
  for (const { model, provider } of targets) {
    const started = performance.now();
    try {
      const completion = await llm.chat.completions.create({ model: model!, ...(rendered.params as object), messages: rendered.messages });
      prompts.logUsage(
        { status: 'success', model, provider, input_tokens: completion.usage?.prompt_tokens, output_tokens: completion.usage?.completion_tokens, latency_ms: Math.round(performance.now() - started), user_id: user.id },
        { rendered },
      );
      return completion.choices[0]!.message.content ?? '';
    } catch (error) {
      prompts.logUsage({ status: 'error', model, provider, latency_ms: Math.round(performance.now() - started), user_id: user.id, metadata: { error: String(error) } }, { rendered });
    }
  }
  throw new Error('every model failed');
}

describe('the docs/runtime.md service example against a real promptops serve', () => {
  it('sends each user to the variant’s prompt and model, falls back in order, and logs what happened', { timeout: 60_000 }, async () => {
    const dir = repo(minimalRepo({ 'features/chatbot.yaml': FEATURE, 'prompts/chatbot/system.yaml': SYSTEM, 'prompts/chatbot/system-friendly.yaml': FRIENDLY, 'experiments/chatbot-model.yaml': EXPERIMENT }));
    await gitRepo(dir);
    const published = await run(['publish', '--env', 'production'], { cwd: dir, env: { PROMPTOPS_SIGNING_KEY: KEYS.privateKey, USER: 'tester' } });
    expect(published.code, published.stderr).toBe(0);
    const base = await serve(dir);

    // The gateway: claude-haiku is down (503), so its users fall back to the next model in the feature's list.
    const gateway = await startOpenAIServer({ chat: (body) => (body.model === 'anthropic/claude-haiku-4-5' ? { status: 503, content: 'overloaded' } : { content: `answer from ${body.model}` }) });
    onTestFinished(() => gateway.close());
    const log = join(dir, 'usage', 'calls.jsonl');
    const prompts = createClient({ source: base, environment: 'production', publicKey: KEYS.publicKey, usageLog: log });
    onTestFinished(() => prompts.close());
    await prompts.ready();
    const llm = new OpenAI({ baseURL: gateway.url, apiKey: 'test', maxRetries: 0 });

    // The expected variant of each user, from GrowthBook's SDK with the experiment's file values.
    const growthbook = new GrowthBookClient({});
    const expected = (id: string) => {
      const r = growthbook.runInlineExperiment({ key: 'chatbot-model-1', seed: 'chatbot-model-1', hashVersion: 2, hashAttribute: 'id', variations: [0, 1], weights: [0.4, 0.6], coverage: 0.8 }, { attributes: { id } });
      return r.inExperiment ? (['control', 'haiku-friendly'] as const)[r.variationId]! : undefined;
    };
    const users: User[] = Array.from({ length: 200 }, (_, i) => ({ id: `u_${(i * 7919).toString(36)}`, firstName: `Ada${i}` }));
    const answers: string[] = [];
    for (const user of users) answers.push(await answer(prompts, llm, user, 'How do I share an album?'));
    await prompts.close();

    const calls = gateway.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    let c = 0;
    const counts = { none: 0, control: 0, 'haiku-friendly': 0 };
    for (const [i, user] of users.entries()) {
      const variant = expected(user.id);
      counts[variant ?? 'none']++;
      if (variant === 'haiku-friendly') {
        // First the variant's model with the variant's prompt and params, then the first other fallback.
        expect(calls[c]).toMatchObject({ model: 'anthropic/claude-haiku-4-5', temperature: 0.5, top_p: 0.9, messages: [{ role: 'system', content: `You are the friendly help assistant. Greet ${user.firstName} by name.` }, { role: 'user', content: 'How do I share an album?' }] });
        expect(calls[c + 1]).toMatchObject({ model: 'google/gemini-3.1-flash-lite', temperature: 0.5, messages: calls[c].messages });
        expect(answers[i]).toBe('answer from google/gemini-3.1-flash-lite');
        expect(records.slice(c, c + 2)).toMatchObject([
          { status: 'error', provider: 'anthropic', model: 'anthropic/claude-haiku-4-5', prompt_id: 'chatbot/system-friendly', prompt_version: 2, experiment: 'chatbot-model', variant: 'haiku-friendly', user_id: user.id, feature: 'chatbot', environment: 'production' },
          { status: 'success', provider: 'google', model: 'google/gemini-3.1-flash-lite', prompt_id: 'chatbot/system-friendly', experiment: 'chatbot-model', variant: 'haiku-friendly', user_id: user.id },
        ]);
        c += 2;
      } else {
        expect(calls[c]).toMatchObject({ model: 'openai/gpt-6-luna', temperature: 0.3, top_p: 0.9, messages: [{ role: 'system', content: 'You are the help assistant. Be precise.' }, { role: 'user', content: `${user.firstName} asks: How do I share an album?` }] });
        expect(answers[i]).toBe('answer from openai/gpt-6-luna');
        expect(records[c]).toMatchObject({ status: 'success', provider: 'openai', model: 'openai/gpt-6-luna', prompt_id: 'chatbot/system', prompt_version: 4, user_id: user.id });
        expect(records[c].experiment).toBe(variant === 'control' ? 'chatbot-model' : undefined);
        expect(records[c].variant).toBe(variant);
        c += 1;
      }
    }
    expect(calls).toHaveLength(c);
    expect(records).toHaveLength(c);
    expect(counts.control).toBeGreaterThan(30);
    expect(counts['haiku-friendly']).toBeGreaterThan(60);

    // The experiment report counts exactly the units GrowthBook put in each variant.
    const report = await run(['experiment', 'report', 'chatbot-model', '--usage', log, '--json'], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    const { analysis } = JSON.parse(report.stdout);
    expect(analysis.variants.map((v: { name: string; units: number }) => [v.name, v.units])).toEqual([
      ['control', counts.control],
      ['haiku-friendly', counts['haiku-friendly']],
    ]);
    expect(analysis.srm.mismatch).toBe(false);
  });
});
