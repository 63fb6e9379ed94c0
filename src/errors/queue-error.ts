/** The queue or the store cannot be used as asked (bad URL, Redis unreachable, unknown run, failed jobs). */
export class QueueError extends Error {
  override readonly name = 'QueueError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}
