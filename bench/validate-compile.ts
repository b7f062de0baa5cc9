// Benchmark: validate + compile every environment of a generated repository of
// 1,000 prompts × 5 tests and 100 features (target: under 1.5 s on 2 cores).
// Baseline, in the same process: reading the same files and parsing them into positioned YAML trees,
// what a loader that keeps positions for every file pays.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globSync } from 'tinyglobby';
import { parseDocument } from 'yaml';
import { validateRepository } from '../src/core/check/index.js';
import { compileBundle } from '../src/core/compile.js';
import { generateRepository } from './_generate.js';

const root = mkdtempSync(join(tmpdir(), 'promptops-bench-'));
generateRepository(root, { prompts: 1000, tests: 5, features: 100 });
const ms = (start: number) => performance.now() - start;

function baseline(): number {
  const start = performance.now();
  for (const file of globSync(['**/*.yaml'], { cwd: root })) parseDocument(readFileSync(join(root, file), 'utf8')).toJS();
  return ms(start);
}

function validateAndCompile(): { ms: number; errors: number; bundles: number } {
  const start = performance.now();
  const { repo, diagnostics } = validateRepository({ root });
  let bundles = 0;
  for (const environment of Object.keys(repo.config.environments)) if (compileBundle({ repo, environment }).value) bundles++;
  return { ms: ms(start), errors: diagnostics.filter((d) => d.severity === 'error').length, bundles };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = 5;
const first = validateAndCompile();
if (first.errors > 0 || first.bundles !== 3) throw new Error(`generated repository did not validate: ${first.errors} errors`);
const warm: number[] = [];
for (let i = 0; i < runs; i++) warm.push(validateAndCompile().ms);
const base = Array.from({ length: runs }, baseline);

// End to end through the bundled CLI, as users run it (includes process start).
const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
const cliRun = (...flags: string[]) => {
  const start = performance.now();
  execFileSync(process.execPath, [cli, 'compile', '--root', root, ...flags], { stdio: 'ignore' });
  return ms(start);
};
const e2e = Array.from({ length: 3 }, () => cliRun());

console.log('validate + compile (3 environments), 1,000 prompts × 5 tests, 100 features');
console.log(`  in process, first run      ${first.ms.toFixed(0)} ms`);
console.log(`  in process, warm median    ${median(warm).toFixed(0)} ms`);
console.log(`  baseline: read + positioned YAML parse ${median(base).toFixed(0)} ms  (validate + compile takes ${(median(warm) / median(base)).toFixed(2)}× of it)`);
console.log(`  bundled CLI "compile" end to end, median of 3: ${median(e2e).toFixed(0)} ms (target < 1500 ms)`);
rmSync(root, { recursive: true, force: true });
