/** Exit codes of DESIGN §3. */
export const EXIT = { ok: 0, failed: 1, usage: 2, infra: 3 } as const;

/** The only way commands end the process with a non-zero code; caught once at the top. */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

export const usageError = (message: string) => new ExitError(EXIT.usage, message);
