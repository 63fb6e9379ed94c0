/** A run stopped by its AbortSignal. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';

  constructor(options: { cause?: unknown } = {}) {
    super('cancelled', options);
  }
}
