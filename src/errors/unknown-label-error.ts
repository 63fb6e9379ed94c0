/** A class target (index or label name) that the classifier does not have. */
export class UnknownLabelError extends Error {
  override readonly name = 'UnknownLabelError';
  readonly target: string | number;
  /** Close label names, best first (empty when the target was an index). */
  readonly suggestions: readonly string[];

  constructor(target: string | number, message: string, suggestions: readonly string[] = []) {
    super(message);
    this.target = target;
    this.suggestions = suggestions;
  }
}
