// Records recordings/ for the example repository without internet or API keys.
//
// The answers are the hand-written reference answers of scripts/example-answers.yaml (not real
// model output). They are served by a local OpenAI-compatible server, and the recordings are made
// by the real pipeline (`promptops eval --record` → openai SDK → HTTP), so the files in
// recordings/ are exactly what a live recording would produce, only with reference answers.
// With real keys, `promptops eval --env production --record` replaces them with model output.
//
//   npx tsx scripts/record-example.ts
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { runCli } from '../src/cli/run.js';
import { processIo } from '../src/cli/io.js';
import { canonicalJson, sha256Hex } from '../src/core/canonical.js';
import { renderPrompt } from '../src/core/render.js';
import { loadRepository } from '../src/core/repository.js';
import { needsOutput } from '../src/eval/assertions.js';
import { EVAL_DEFAULTS } from '../src/eval/evaluate.js';
import { GRADER_SYSTEM } from '../src/eval/grading.js';
import { planEval } from '../src/eval/plan.js';
import { baseUrlEnv } from '../src/eval/providers/openai.js';
import { startOpenAIServer, type Reply } from '../test/helpers/openai-server.js';

const ENVIRONMENT = 'production';
const root = resolve(import.meta.dirname, '..');

interface Grade { rubric: string; pass: boolean; score: number; reason: string }
type Answers = Record<string, Record<string, { answer: string; grades?: Grade[] }>>;
const answers = load(readFileSync(join(root, 'scripts/example-answers.yaml'), 'utf8')) as Answers;

// The server sees the model id without its provider prefix (what the SDK sends), so keys use that.
const hash = (value: unknown) => sha256Hex(canonicalJson(value));
const chatKey = (model: string, messages: { role: string; content: string }[]) => hash({ model, messages: messages.map(({ role, content }) => ({ role, content })) });
// A grade judges one particular answer: keyed by rubric and output, so a changed answer needs a new grade.
const gradeKey = (rubric: string, output: string) => hash({ rubric, output });

// 1. Render every planned test exactly as the engine will, to know which messages get which answer.
const repo = loadRepository({ root }).value;
const answerFor = new Map<string, string>();
const gradeFor = new Map<string, Grade>();
const problems: string[] = [];
const used = new Set<string>();
for (const job of planEval({ repo }).value) {
  // Tests whose assertions all target the prompt never call a model: nothing to answer.
  if (!job.test.assert.some(needsOutput)) continue;
  const name = `${job.prompt} › ${job.test.name}`;
  const entry = answers[job.prompt]?.[job.test.name];
  const rendered = renderPrompt({ repo, prompt: job.render, vars: job.test.vars ?? {}, environment: ENVIRONMENT, feature: job.feature }).value;
  const model = job.model ?? rendered?.model;
  if (!entry || !rendered || !model) {
    problems.push(`${name}: ${!entry ? 'no answer in scripts/example-answers.yaml' : 'cannot render it or no model serves it'}`);
    continue;
  }
  used.add(name);
  answerFor.set(chatKey(model.slice(model.indexOf('/') + 1), rendered.messages), entry.answer);
  const rubrics = job.test.assert.filter((a) => a.type === 'llm-rubric').map((a) => String(a.value));
  for (const rubric of rubrics) {
    const grade = entry.grades?.find((g) => g.rubric === rubric);
    if (grade) gradeFor.set(gradeKey(rubric, entry.answer), grade);
    else problems.push(`${name}: no grade for rubric ${JSON.stringify(rubric)}`);
  }
  for (const g of entry.grades ?? []) if (!rubrics.includes(g.rubric)) problems.push(`${name}: grade for a rubric the test does not have: ${JSON.stringify(g.rubric)}`);
}
// An answer no test uses is stale (renamed test, or a test that no longer calls a model).
for (const [prompt, tests] of Object.entries(answers)) {
  for (const test of Object.keys(tests)) if (!used.has(`${prompt} › ${test}`)) problems.push(`${prompt} › ${test}: answer for a test that does not call a model in ${ENVIRONMENT}`);
}
if (problems.length) {
  console.error(`scripts/example-answers.yaml does not match the tests:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

// 2. The local server: hand-written answers and grades only; any other request fails loudly.
const unanswered = new Set<string>();
const fail = (message: string): Reply => {
  unanswered.add(message);
  return { status: 500, content: `record-example: ${message}` };
};
const server = await startOpenAIServer({
  chat(body) {
    // usage: null, so the engine counts tokens with tiktoken and marks them as estimates.
    const [first, second] = body.messages;
    if (first?.content === GRADER_SYSTEM) {
      const m = /^<rubric>\n([\s\S]*)\n<\/rubric>\n<output>\n([\s\S]*)\n<\/output>$/.exec(second?.content ?? '');
      const grade = m ? gradeFor.get(gradeKey(m[1]!, m[2]!)) : undefined;
      if (!grade) return fail(`no hand-written grade for rubric ${JSON.stringify(m?.[1] ?? second?.content?.slice(0, 80))} and this output`);
      return { content: JSON.stringify({ reason: grade.reason, score: grade.score, pass: grade.pass }), usage: null };
    }
    const answer = answerFor.get(chatKey(body.model, body.messages));
    if (answer === undefined) return fail(`no hand-written answer for a ${body.model} request beginning ${JSON.stringify(body.messages[0]?.content.slice(0, 80))}`);
    return { content: answer, usage: null };
  },
  // embed: the server's default, a deterministic hashed bag of words (no real embedding model offline).
});

// 3. Fresh recordings through the real CLI, with every catalog provider pointed at the local
// server (so nothing can leave the machine) and placeholder keys the SDK insists on.
const cacheDir = repo.config.eval?.cache_dir ?? EVAL_DEFAULTS.cacheDir;
rmSync(resolve(root, cacheDir), { recursive: true, force: true });
const env: Record<string, string> = {};
for (const [id, provider] of Object.entries(repo.catalog.providers)) {
  env[baseUrlEnv(id)] = server.url;
  if (provider.api_key_env) env[provider.api_key_env] = 'reference-recording';
}
const code = await runCli(['eval', '--env', ENVIRONMENT, '--record', '--provider', 'live'], { ...processIo(), cwd: root, env });
await server.close();

if (unanswered.size) {
  console.error(`\nrecord-example: requests without a hand-written answer:\n  ${[...unanswered].join('\n  ')}`);
  process.exit(code || 1);
}
process.exit(code);
