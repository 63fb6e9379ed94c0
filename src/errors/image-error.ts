/** An image that cannot be read or decoded (missing file, unsupported or corrupt data). */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly source: string | undefined;

  constructor(message: string, options: { source?: string; cause?: unknown } = {}) {
    super(options.source ? `${options.source}: ${message}` : message, { cause: options.cause });
    this.source = options.source;
  }
}
