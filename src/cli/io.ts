import pc from 'picocolors';

/** Where a command writes; injectable so the CLI runs as a library and in tests. */
export interface Io {
  cwd: string;
  /** Writes a line to stdout (a newline is added when missing). */
  out: (text: string) => void;
  /** Writes bytes to stdout exactly as given (canonical JSON whose hash must match). */
  write: (text: string) => void;
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
    write: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: isTTY && !process.env.NO_COLOR && !process.env.CI,
    isTTY,
    env: process.env,
  };
}

export type Colors = ReturnType<typeof pc.createColors>;
export const colors = (io: Pick<Io, 'color'>): Colors => pc.createColors(io.color);
