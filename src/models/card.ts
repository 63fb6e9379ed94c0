import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ModelFormatError } from '../errors/model-format-error.js';
import { resolveInside } from '../io/inside-root.js';
import { describeZodError } from '../util/zod-words.js';
import type { Classifier } from './classifier.js';
import { parseLabelsText } from './labels-text.js';
import { ModelCardSchema, type ModelCard } from './spec.js';

/** Where a card for `modelPath` may be: `<model>.json`, then `neuromask.json` in the same folder. */
export function cardCandidates(modelPath: string): string[] {
  const dir = dirname(resolve(modelPath));
  return [join(dir, `${basename(modelPath, extname(modelPath))}.json`), join(dir, 'neuromask.json')];
}

/** A card for `c` as loaded (its preprocessing, labels and output kind), for the user to save and edit. */
export function cardFor(c: Classifier): ModelCard {
  return { name: c.name, preprocess: c.spec, ...(c.labels ? { labels: c.labels } : {}), outputKind: c.outputKind };
}

export async function findCard(modelPath: string): Promise<string | undefined> {
  for (const p of cardCandidates(modelPath)) {
    if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  }
  return undefined;
}

export async function readCard(path: string): Promise<ModelCard> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ModelFormatError(`model card is not valid JSON: ${(cause as Error).message}`, { source: path, cause });
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelFormatError(`invalid model card: ${describeZodError(parsed.error, { schema: ModelCardSchema })}`, { source: path, cause: parsed.error });
  }
  return parsed.data;
}

/**
 * One label per line (trailing blank lines, i.e. a final newline, are not labels), or, for a
 * `.json` file, a JSON array of strings.
 */
export async function readLabelsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelFormatError(`cannot read labels file: ${(cause as Error).message}`, { source: path, cause });
  }
  return parseLabelsText(text, path);
}

/** A card's `labels`: inline list, or a file path that must stay inside the card's folder `baseDir`. */
export async function cardLabels(labels: string[] | string | undefined, baseDir: string, cardPath: string): Promise<string[] | undefined> {
  if (labels === undefined || Array.isArray(labels)) return labels;
  const outside = (e: Error) => new ModelFormatError(`labels path ${e.message}: a card's labels file must lie inside its folder`, { source: cardPath, cause: e });
  return readLabelsFile(await resolveInside(baseDir, labels, outside));
}
