// Benchmark: CLI cold start. `promptops --help` (target < 150 ms) and `validate` on the example
// repository (target < 600 ms) through the bundled CLI, against two baselines measured in the same run:
// a bare `node -e ""` start and the same commands through tsx (unbundled TypeScript).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'dist', 'cli.js');
const tsx = join(repo, 'node_modules', '.bin', 'tsx');

function time(cmd: string, args: string[], runs = 10): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    execFileSync(cmd, args, { cwd: repo, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const node = time(process.execPath, ['-e', '']);
const help = time(process.execPath, [cli, '--help']);
const helpTsx = time(tsx, ['src/cli/main.ts', '--help'], 5);
const validate = time(process.execPath, [cli, 'validate']);
const validateTsx = time(tsx, ['src/cli/main.ts', 'validate'], 5);

const row = (label: string, ms: number, extra = '') => console.log(`  ${label.padEnd(34)} ${ms.toFixed(0).padStart(5)} ms ${extra}`);
console.log('CLI cold start (median wall time)');
row('node -e "" (baseline)', node);
row('promptops --help (bundled)', help, `target < 150 ms · ${(help - node).toFixed(0)} ms over bare node`);
row('promptops --help (tsx)', helpTsx, `bundled is ${(helpTsx / help).toFixed(1)}× faster`);
row('promptops validate, example (bundled)', validate, 'target < 600 ms');
row('promptops validate, example (tsx)', validateTsx, `bundled is ${(validateTsx / validate).toFixed(1)}× faster`);
