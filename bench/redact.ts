// Benchmark: the one redaction (src/core/redact.ts) is linear in its input. Time per KB of hostile
// single-line inputs from 1 KB to 1 MB, and the ratio of the 1 MB figure to the 1 KB one (≈ 1 when
// linear; the code-frame regex it replaced grew with the length, shown here up to 64 KB as the
// baseline). Then the user-visible case: human `validate` of a file whose 1 KB…1 MB line sits next
// to an error, so its code frame is redacted.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact } from '../src/core/redact.js';
import type { Io } from '../src/cli/io.js';
import { runCli } from '../src/cli/run.js';

const SIZES_KB = [1, 4, 16, 64, 256, 1024];
const OLD_MAX_KB = 64;

/** Inputs that make a backtracking regex work hard: a scheme-like run, URL-ish tokens, separators, a key blob. */
const INPUTS: Record<string, (bytes: number) => string> = {
  'letters (base64 blob)': (n) => 'aZ09+.'.repeat(Math.ceil(n / 6)).slice(0, n),
  'url tokens': (n) => 'x://u:p@h '.repeat(Math.ceil(n / 10)).slice(0, n),
  'glued url, one token': (n) => `x://u:${'p:'.repeat(Math.ceil(n / 2))}`.slice(0, n - 5) + '@host',
  'param separators': (n) => '&key'.repeat(Math.ceil(n / 4)).slice(0, n),
};

/** The code-frame redaction before this change: a scheme run with an unbounded, overlapping start. */
const oldRedact = (text: string) => text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi, '$1***@').replace(/([?&]password=)[^&\s#]+/gi, '$1***');

function msPerKb(fn: (text: string) => string, text: string): number {
  const kb = text.length / 1024;
  // Enough repetitions for ~50 ms of work at small sizes; the median of 5 rounds.
  const reps = Math.max(1, Math.round(64 / kb));
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn(text);
    rounds.push((performance.now() - start) / reps / kb);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const fmt = (ms: number) => (ms * 1000).toFixed(2).padStart(9);
console.log('redact(): µs per KB (median of 5)');
console.log(`  ${'input'.padEnd(24)} ${SIZES_KB.map((kb) => `${kb} KB`.padStart(9)).join(' ')}  1 MB / 1 KB`);
for (const [name, make] of Object.entries(INPUTS)) {
  const figures = SIZES_KB.map((kb) => msPerKb(redact, make(kb * 1024)));
  console.log(`  ${name.padEnd(24)} ${figures.map(fmt).join(' ')}  ${(figures.at(-1)! / figures[0]!).toFixed(2)}×`);
  const old = SIZES_KB.filter((kb) => kb <= OLD_MAX_KB).map((kb) => msPerKb(oldRedact, make(kb * 1024)));
  console.log(`  ${'  old regex'.padEnd(24)} ${old.map(fmt).join(' ')}  ${(old.at(-1)! / old[0]!).toFixed(2)}× at ${OLD_MAX_KB} KB`);
}

// End to end: a copy of the example repository plus a prompt whose long line is next to an error.
const repoRoot = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'promptops-bench-redact-'));
for (const entry of ['promptops.config.yaml', 'prompts', 'features', 'budgets', 'experiments', 'schemas']) cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true });
let printed = 0;
const io: Io = { cwd: dir, out: (t) => (printed += t.length), write: (t) => (printed += t.length), err: (t) => (printed += t.length), color: false, isTTY: false, env: { NO_COLOR: '1' } };
console.log('\nhuman `validate` of the example + one file with an N KB line next to an error (in process, after a warm-up run; first run after writing the file, and the median of 3)');
await runCli(['validate'], io);
for (const kb of [0, ...SIZES_KB]) {
  // 64 bytes short of the size, so the 1 MB file stays under the default limits.max_file_bytes (1 MiB).
  const line = INPUTS['letters (base64 blob)']!(Math.max(0, kb * 1024 - 64));
  writeFileSync(join(dir, 'prompts/long.yaml'), `version: 1\nstatus: bogus\ndescription: ${line}\ntemplate: hi\n`);
  const runs: number[] = [];
  printed = 0;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    const code = await runCli(['validate'], io);
    runs.push(performance.now() - start);
    if (code !== 1) throw new Error(`validate exited ${code}, expected 1 (the error in prompts/long.yaml)`);
  }
  const first = runs[0]!;
  const ms = [...runs].sort((a, b) => a - b)[1]!;
  // The code frame prints the long line (redacted): the output is at least that long.
  if (printed / 3 < line.length) throw new Error(`validate printed ${printed / 3} characters, less than the ${kb} KB line of its code frame`);
  console.log(`  ${(kb ? `${kb} KB` : 'no long line').padEnd(14)} first ${first.toFixed(0).padStart(6)} ms, median ${ms.toFixed(0).padStart(6)} ms`);
}
rmSync(dir, { recursive: true, force: true });
