/** A model file that cannot be read or does not have the structure we need. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  readonly source: string | undefined;

  constructor(message: string, options: { source?: string; cause?: unknown } = {}) {
    super(options.source ? `${options.source}: ${message}` : message, { cause: options.cause });
    this.source = options.source;
  }
}
