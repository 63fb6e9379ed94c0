import { ModelFormatError } from '../errors/model-format-error.js';

/**
 * A labels file's text: one label per line (trailing blank lines, i.e. a final newline, are not
 * labels), or, when `path` ends in `.json`, a JSON array of strings.
 */
export function parseLabelsText(text: string, path: string): string[] {
  if (/\.json$/i.test(path)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (cause) {
      throw new ModelFormatError(`labels file is not valid JSON: ${(cause as Error).message}`, { source: path, cause });
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ModelFormatError('labels file must hold a JSON array of strings', { source: path });
    return v;
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}
