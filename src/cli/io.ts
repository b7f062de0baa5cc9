import pc from 'picocolors';

/** Where a command writes; injectable so the CLI runs as a library and in tests. */
export interface Io {
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: isTTY && !process.env.NO_COLOR && !process.env.CI,
    isTTY,
    env: process.env,
  };
}

export type Colors = ReturnType<typeof pc.createColors>;
export const colors = (io: Pick<Io, 'color'>): Colors => pc.createColors(io.color);
