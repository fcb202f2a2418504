/**
 * An error caused by the user's input (a bad file, a wrong option, a mismatched checkpoint).
 * The CLI prints its message on one line and exits 1, with no stack trace.
 */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** A short, single-line description of any thrown value. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim() || 'unknown error';
}

/** Wraps any error as a UserError naming the file it concerns: "FILE: cause". */
export function fileError(file: string, err: unknown): UserError {
  if (err instanceof UserError && err.message.startsWith(file)) return err;
  return new UserError(`${file}: ${describeError(err)}`, { cause: err });
}
