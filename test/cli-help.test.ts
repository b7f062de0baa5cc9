import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ROOT } from './helpers/repo.js';

const exec = promisify(execFile);
const ESC = '\u001b[';

/** The real CLI as a process with stdout piped (not a TTY), as in a CI log or `| less`. */
async function piped(args: string[], env: NodeJS.ProcessEnv = {}) {
  // citty colours unless CI, TEST (which vitest sets), NO_COLOR=1 or TERM=dumb: a user's shell has none of them.
  const { CI: _ci, TEST: _test, NO_COLOR: _nc, FORCE_COLOR: _fc, ...rest } = process.env;
  return exec(process.execPath, ['--import', 'tsx', join(EXAMPLE_ROOT, 'src/cli/main.ts'), ...args], { cwd: EXAMPLE_ROOT, env: { ...rest, TERM: 'xterm-256color', ...env } });
}

describe('--help without a terminal', () => {
  it.each([[['--help']], [['validate', '--help']], [['spend', 'budgets', '--help']]])('%j carries no ANSI escape when stdout is piped', async (args) => {
    const { stdout } = await piped(args);
    expect(stdout).toMatch(/USAGE/);
    expect(stdout.includes(ESC)).toBe(false);
  });

  it('carries none with NO_COLOR either', async () => {
    // NO_COLOR means any non-empty value (no-color.org), not only "1" as citty checks.
    const { stdout } = await piped(['publish', '--help'], { NO_COLOR: 'true' });
    expect(stdout).toMatch(/--env/);
    expect(stdout.includes(ESC)).toBe(false);
  });
});
