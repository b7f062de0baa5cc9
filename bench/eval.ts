// Benchmark of `promptops eval` (the whole CLI path, in process: load, plan, render, call, assert, stream results).
//  1. Throughput: 2,000 test cases against the local OpenAI-compatible server answering in 20 ms, at
//     concurrency 16. Ideal = 16 / 20 ms = 800 tests/s; target ≥ 70 % of it. Baseline, same process:
//     the bare `openai` SDK making the same 2,000 calls at concurrency 16 (what the engine adds is the gap).
//  2. Replay: 10,000 recorded cases answered from the response cache (target < 3 s).
//  3. Memory: heap sampled while the 10,000 results stream to --output (target: flat).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { runCli } from '../src/cli/run.js';
import type { Io } from '../src/cli/io.js';
import { writeTree } from '../test/helpers/repo.js';
import { evalConfig, FEATURE, LOCAL_MODELS_YAML, localEnv } from '../test/helpers/eval-repo.js';

const LATENCY_MS = 20;
const CONCURRENCY = 16;

function generate(prompts: number, testsPerPrompt: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'promptops-bench-eval-'));
  const tree: Record<string, string> = {
    'promptops.config.yaml': evalConfig().replace('concurrency: 4', `concurrency: ${CONCURRENCY}`),
    'features/_models.yaml': LOCAL_MODELS_YAML,
    'features/support.yaml': FEATURE.replace('prompts: [answer]', `prompts: [${Array.from({ length: prompts }, (_, p) => `p${p}`).join(', ')}]`),
  };
  for (let p = 0; p < prompts; p++) {
    const tests = Array.from({ length: testsPerPrompt }, (_, t) => `  - name: t${t}
    vars: { question: "question ${p}-${t}: how do I share an album?" }
    assert:
      - { type: contains, target: prompt, value: share an album }
      - { type: icontains, value: ANSWER }
      - { type: max-tokens, value: 500 }
      - { type: regex, value: "^answer" }
`).join('');
    tree[`prompts/p${p}.yaml`] = `version: 1\nstatus: approved\nvariables:\n  question:\n    type: string\nmessages:\n  - role: system\n    content: You answer questions about Lumen, a photo app. Be brief.\n  - role: user\n    content: "{{question}}"\ntests:\n${tests}`;
  }
  return writeTree(dir, tree);
}

const quietIo = (cwd: string, env: NodeJS.ProcessEnv): Io => ({ cwd, out: () => {}, write: () => {}, err: (t) => process.stderr.write(t), color: false, isTTY: false, env });

async function timeCli(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  const code = await runCli(argv, quietIo(cwd, env));
  if (code !== 0) throw new Error(`promptops ${argv.join(' ')} exited ${code}`);
  return performance.now() - start;
}

async function serverProcess(latencyMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./_server-process.ts', import.meta.url)), [String(latencyMs)], { execArgv: ['--import', 'tsx'] });
  const [url] = (await once(child, 'message')) as [string];
  return { url, close: async () => { child.send('close'); await once(child, 'exit'); } };
}

const server = await serverProcess(LATENCY_MS);
const env = localEnv(server.url);

// 1. Throughput
const small = generate(100, 20);
const client = new OpenAI({ apiKey: 'x', baseURL: server.url, maxRetries: 0 });
const limit = pLimit(CONCURRENCY);
const baseStart = performance.now();
await Promise.all(Array.from({ length: 2000 }, (_, i) => limit(() => client.chat.completions.create({ model: 'chat-1', messages: [{ role: 'user', content: `baseline ${i}` }] }))));
const baselineMs = performance.now() - baseStart;
// Warm-up on a small repository: loads the eval command, the SDK and the tokenizer once, as the SDK baseline is warm too.
const warm = generate(2, 10);
await timeCli(['eval', '--env', 'production', '--no-cache'], warm, env);
const engineMs = await timeCli(['eval', '--env', 'production', '--no-cache', '--output', join(small, 'results.json')], small, env);
const ideal = CONCURRENCY / LATENCY_MS * 1000;
const throughput = 2000 / (engineMs / 1000);
const baselineThroughput = 2000 / (baselineMs / 1000);
console.log(`throughput: 2,000 tests at concurrency ${CONCURRENCY}, server ${LATENCY_MS} ms`);
console.log(`  promptops eval   ${engineMs.toFixed(0)} ms  ${throughput.toFixed(0)} tests/s  ${(throughput / ideal * 100).toFixed(1)} % of ideal (${ideal} /s)`);
console.log(`  bare openai SDK  ${baselineMs.toFixed(0)} ms  ${baselineThroughput.toFixed(0)} calls/s  ${(baselineThroughput / ideal * 100).toFixed(1)} % of ideal; eval/SDK ${(throughput / baselineThroughput).toFixed(2)}`);

// 2 + 3. Replay of 10,000 recorded cases, sampling the heap while results stream to disk.
const large = generate(500, 20);
const recordServer = await serverProcess(0);
const recordMs = await timeCli(['eval', '--env', 'production', '--record', '--concurrency', '64'], large, localEnv(recordServer.url));
await recordServer.close();
const out = join(large, 'results.json');
const replayMs = await timeCli(['eval', '--env', 'production', '--replay', '--output', out], large, {});
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(`replay: 10,000 recorded tests (recorded in ${(recordMs / 1000).toFixed(1)} s)`);
console.log(`  promptops eval --replay  ${replayMs.toFixed(0)} ms  ${(10000 / (replayMs / 1000)).toFixed(0)} tests/s  (target < 3000 ms)`);

// Memory: the same replay again, the live heap (after a full GC) sampled every 100 ms while results stream.
const gc = globalThis.gc;
if (gc) {
  const samples: number[] = [];
  const sample = () => {
    gc();
    samples.push(process.memoryUsage().heapUsed);
  };
  sample();
  const sampler = setInterval(sample, 100);
  await timeCli(['eval', '--env', 'production', '--replay', '--output', out], large, {});
  clearInterval(sampler);
  sample();
  const q = Math.max(1, Math.floor(samples.length / 4));
  const quarters = [0, 1, 2, 3].map((i) => Math.max(...samples.slice(i * q, (i + 1) * q).concat(0)));
  console.log(`  memory while streaming ${mb(statSync(out).size)} of results: live heap before ${mb(samples[0]!)}, max per quarter of the run ${quarters.map(mb).join(' → ')}, after ${mb(samples.at(-1)!)} (${samples.length} samples)`);
} else {
  console.log('  memory: run with node --expose-gc to sample the live heap');
}

await server.close();
for (const dir of [warm, small, large]) rmSync(dir, { recursive: true, force: true });
