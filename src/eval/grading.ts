import type { ModelClient } from './client.js';
import { CallError, type Usage } from './types.js';

/** A grader or embedding call, accounted apart from the call under test. */
export interface GradingCall {
  model: string;
  usage?: Usage;
  source: string;
  /** Texts sent and received, to estimate tokens when the provider reports no usage. */
  input?: string[];
  output?: string;
}

export const GRADER_SYSTEM = [
  'You grade the output of an AI model against a rubric.',
  'Judge only what the rubric asks. Reply with a JSON object and nothing else:',
  '{"reason": "<one or two sentences>", "score": <number from 0 to 1>, "pass": <true|false>}',
].join('\n');

export interface RubricGrade {
  pass: boolean;
  score: number;
  reason: string;
}

/** `llm-rubric`: a grader model scores the output against the rubric. */
export async function gradeRubric(options: { client: ModelClient; model: string; rubric: string; output: string; onCall: (c: GradingCall) => void }): Promise<RubricGrade> {
  const messages = [
    { role: 'system' as const, content: GRADER_SYSTEM },
    { role: 'user' as const, content: `<rubric>\n${options.rubric}\n</rubric>\n<output>\n${options.output}\n</output>` },
  ];
  const response = await options.client.chat({ model: options.model, params: { temperature: 0, response_format: { type: 'json_object' } }, messages });
  options.onCall({ model: options.model, usage: response.usage, source: response.source, input: messages.map((m) => m.content), output: response.text });
  if (response.source === 'offline') {
    throw new CallError('grader-offline', `llm-rubric needs a grader model: the offline provider cannot grade; record grades with "promptops eval --record" (grader ${options.model})`);
  }
  return parseGrade(response.text, options.model);
}

/** The grader's JSON, also when wrapped in a code fence or prose. */
export function parseGrade(text: string, model: string): RubricGrade {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  let value: { pass?: unknown; score?: unknown; reason?: unknown } | undefined;
  try {
    value = start >= 0 && end > start ? JSON.parse(text.slice(start, end + 1)) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || (typeof value.pass !== 'boolean' && typeof value.score !== 'number')) {
    throw new CallError('invalid-response', `grader ${model} did not answer with {"pass", "score", "reason"} JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const score = typeof value.score === 'number' ? Math.min(1, Math.max(0, value.score)) : value.pass ? 1 : 0;
  return { pass: typeof value.pass === 'boolean' ? value.pass : score >= 0.5, score, reason: typeof value.reason === 'string' ? value.reason : '(no reason given)' };
}

/** `similar`: cosine similarity of the output's embedding to each expected text's. */
export async function similarity(options: { client: ModelClient; model: string; output: string; expected: string[]; onCall: (c: GradingCall) => void }): Promise<{ scores: number[]; offline: boolean }> {
  const input = [options.output, ...options.expected];
  const response = await options.client.embed(options.model, input);
  options.onCall({ model: options.model, usage: response.usage, source: response.source, input });
  const [out, ...rest] = response.vectors;
  return { scores: rest.map((v) => cosine(out!, v)), offline: response.source === 'offline' };
}

export function cosine(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new CallError('invalid-response', `embeddings differ in length (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
