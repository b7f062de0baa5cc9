import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/cli/eval-output.js';
import type { Io } from '../src/cli/io.js';

const io = (isTTY: boolean, env: NodeJS.ProcessEnv): Io => ({ cwd: '.', out: () => {}, write: () => {}, err: () => {}, color: false, isTTY, env });

function draw(target: Io): string {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const progress = createProgress(target, stream);
  progress.start(40);
  progress.update(10);
  progress.stop();
  return text;
}

describe('eval progress', () => {
  it('draws a bar on an interactive terminal', () => {
    expect(draw(io(true, {}))).toContain('10/40 tests');
  });
  it('stays quiet in CI and when output is not a terminal', () => {
    expect(draw(io(true, { CI: 'true' }))).toBe('');
    expect(draw(io(false, {}))).toBe('');
  });
});
