import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The model used when the user names none. */
export const DEFAULT_MODEL = 'fashion-mnist-cnn';

/**
 * `assets/` at the package root. This module sits at src/models/ (tsx) or dist/models/ (tsc with
 * rootDir src), both two levels below the root, so one relative URL serves both.
 */
export function assetsDir(): string {
  return fileURLToPath(new URL('../../assets/', import.meta.url));
}

export function builtinModelsDir(): string {
  return join(assetsDir(), 'models');
}

export interface BuiltinModel {
  name: string;
  dir: string;
  modelPath: string;
  cardPath: string;
}

const isFile = (p: string): Promise<boolean> => stat(p).then((s) => s.isFile(), () => false);

/** A built-in model by name, or undefined when there is none (or its files are incomplete). */
export async function findBuiltin(name: string): Promise<BuiltinModel | undefined> {
  // Names are directory names; reject anything that could walk out of assets/models.
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) return undefined;
  const dir = join(builtinModelsDir(), name);
  const modelPath = join(dir, 'model.onnx');
  const cardPath = join(dir, 'neuromask.json');
  return (await isFile(modelPath)) && (await isFile(cardPath)) ? { name, dir, modelPath, cardPath } : undefined;
}

export async function listBuiltins(): Promise<BuiltinModel[]> {
  const names = await readdir(builtinModelsDir()).catch(() => [] as string[]);
  const found = await Promise.all(names.sort().map(findBuiltin));
  return found.filter((b): b is BuiltinModel => b !== undefined);
}
