import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import { ModelCardSchema, type ModelCard } from './spec.js';

/** Shown when a card is missing, so the user can copy it and edit. */
export const CARD_EXAMPLE = JSON.stringify(
  { preprocess: { inputSize: [224, 224], resize: 'center-crop', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, labels: 'labels.txt' },
  null,
  2,
);

/** Where a card for `modelPath` may be: `<model>.json`, then `neuromask.json` in the same folder. */
export function cardCandidates(modelPath: string): string[] {
  const dir = dirname(resolve(modelPath));
  return [join(dir, `${basename(modelPath, extname(modelPath))}.json`), join(dir, 'neuromask.json')];
}

export async function findCard(modelPath: string): Promise<string | undefined> {
  for (const p of cardCandidates(modelPath)) {
    if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  }
  return undefined;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
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
    throw new ModelFormatError(`invalid model card: ${describeIssues(parsed.error)}`, { source: path, cause: parsed.error });
  }
  return parsed.data;
}

/** One label per line; trailing blank lines (a final newline) are not labels. */
export async function readLabelsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelFormatError(`cannot read labels file: ${(cause as Error).message}`, { source: path, cause });
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

/** A card's `labels`: inline list, or a file path relative to `baseDir`. */
export async function cardLabels(labels: string[] | string | undefined, baseDir: string): Promise<string[] | undefined> {
  if (labels === undefined || Array.isArray(labels)) return labels;
  return readLabelsFile(resolve(baseDir, labels));
}
