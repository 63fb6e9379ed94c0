/** A model or labels file whose bytes are not the ones the registry names (corrupt, truncated, replaced). */
export class ChecksumError extends Error {
  override readonly name = 'ChecksumError';
  readonly file: string;
  readonly expected: string;
  readonly actual: string;

  constructor(file: string, expected: string, actual: string, options: { hint?: string; cause?: unknown } = {}) {
    super(
      `${file}: sha256 mismatch: expected ${expected}, got ${actual}` + (options.hint ? `; ${options.hint}` : ''),
      { cause: options.cause },
    );
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}
