// Benchmark: validate and render time per KB of input, from 1 KB to 1 MB, on the inputs that used to
// be super-linear (issue 14): a prompt file full of unknown keys (yaml's duplicate-key check and the
// diagnostic positions were quadratic), and a prompt rendered with one long run without spaces
// (tiktoken's merges are quadratic per piece). Normal prose and a valid long template are the
// controls. Time per KB should stay flat: the last column compares 1 MB with 10 KB (1 KB is
// dominated by fixed costs). In process, warm (tiktoken loaded), median of 3 runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateRepository } from '../src/core/check/index.js';
import { estimateCall } from '../src/core/estimate.js';
import { renderPrompt } from '../src/core/render.js';
import { minimalRepo, writeTree } from '../test/helpers/repo.js';

const SIZES_KB = [1, 10, 100, 1000];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** At least `kb` KB of `unit(0) unit(1) …` (whole units, so YAML and templates stay well-formed). */
const fill = (kb: number, unit: (i: number) => string) => {
  let out = '';
  for (let i = 0; out.length < kb * 1024; i++) out += unit(i);
  return out;
};

let salt = 0;
const cases: { name: string; run: (kb: number) => number }[] = [
  {
    name: 'validate: prompt with unknown keys',
    run: (kb) => {
      const dir = mkdtempSync(join(tmpdir(), 'promptops-scaling-'));
      writeTree(dir, minimalRepo({ 'prompts/greet.yaml': `version: 1\nstatus: approved\ntemplate: hello\n${fill(kb, (i) => `unknown_key_${i}: ${i}\n`)}` }));
      const start = performance.now();
      const { diagnostics } = validateRepository({ root: dir });
      const ms = performance.now() - start;
      if (!diagnostics.some((d) => d.message.startsWith('unknown key'))) throw new Error('expected unknown-key errors');
      rmSync(dir, { recursive: true, force: true });
      return ms;
    },
  },
  {
    name: 'validate: valid prompt, long template',
    run: (kb) => {
      const dir = mkdtempSync(join(tmpdir(), 'promptops-scaling-'));
      writeTree(dir, minimalRepo({ 'prompts/greet.yaml': `version: 1\nstatus: approved\nvariables:\n  name: { type: string }\ntemplate: |\n${fill(kb, (i) => `  Line ${i}: greet {{name}} warmly and briefly.\n`)}\n` }));
      const start = performance.now();
      const { diagnostics } = validateRepository({ root: dir });
      const ms = performance.now() - start;
      if (diagnostics.some((d) => d.severity === 'error')) throw new Error(`expected a valid repository: ${diagnostics[0]!.message}`);
      rmSync(dir, { recursive: true, force: true });
      return ms;
    },
  },
  ...(['one run without spaces', 'prose'] as const).map((shape) => ({
    name: `render + count tokens: ${shape}`,
    run: (kb: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'promptops-scaling-'));
      writeTree(dir, minimalRepo({ 'prompts/greet.yaml': 'version: 1\nstatus: approved\nvariables:\n  name: { type: string }\ntemplate: "{{name}}"\n' }));
      const { repo } = validateRepository({ root: dir });
      const s = salt++;
      const name = shape === 'prose' ? fill(kb, (i) => `Step ${i + s}: open the album and tap Share, then pick a contact. `) : `${s}${'x'.repeat(kb * 1024)}`;
      const start = performance.now();
      const rendered = renderPrompt({ repo, prompt: 'greet', vars: { name } });
      const tokens = estimateCall(repo, rendered.value!).inputTokens;
      const ms = performance.now() - start;
      if (!(tokens > kb)) throw new Error(`expected tokens, got ${tokens}`);
      rmSync(dir, { recursive: true, force: true });
      return ms;
    },
  })),
];

console.log('time per KB (ms/KB), median of 3 warm runs');
console.log(`${'case'.padEnd(46)}${SIZES_KB.map((kb) => `${kb} KB`.padStart(16)).join('')}   1000 KB ÷ 10 KB`);
for (const c of cases) {
  c.run(1); // warm-up: loads tiktoken, ajv validators, module code
  const perKb = SIZES_KB.map((kb) => median([c.run(kb), c.run(kb), c.run(kb)]) / kb);
  const cells = SIZES_KB.map((kb, i) => `${(perKb[i]! * kb).toFixed(1)} ms ${perKb[i]!.toFixed(3)}`.padStart(16));
  console.log(`${c.name.padEnd(46)}${cells.join('')}   ${(perKb[3]! / perKb[1]!).toFixed(2)}×`);
}
