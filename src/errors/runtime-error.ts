/** ONNX Runtime could not create or run a session (missing execution provider, bad feeds, ...). */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  /** The execution provider in use when it failed, when known. */
  readonly ep: string | undefined;

  constructor(message: string, options: { ep?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.ep = options.ep;
  }
}
