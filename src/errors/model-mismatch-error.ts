/** A submitter's model file differs from the one the store (and so its workers) uses under the same reference. */
export class ModelMismatchError extends Error {
  override readonly name = 'ModelMismatchError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}
