/** A command-line or option value that cannot be used as given. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}
