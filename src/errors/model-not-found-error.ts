/** A model named by the user that is neither built in, nor cached, nor a file (or could not be downloaded). */
export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
  readonly model: string;
  /** Where we looked, so the user can put the file there by hand. */
  readonly searched: readonly string[];
  readonly url: string | undefined;

  constructor(model: string, message: string, options: { searched?: readonly string[]; url?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.model = model;
    this.searched = options.searched ?? [];
    this.url = options.url;
  }
}
