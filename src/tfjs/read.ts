import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelFormatError } from '../errors/model-format-error.js';
import { resolveInside } from '../io/inside-root.js';
import { concatBytes, parseModelJson } from './artifacts.js';
import type { TfjsArtifacts } from './types.js';

export { concatBytes, parseModelJson } from './artifacts.js';

/** A weight shard's path from model.json, kept inside model.json's folder. */
export function shardPath(dir: string, p: string, source: string): Promise<string> {
  return resolveInside(dir, p, (e) => new ModelFormatError(`weight path ${e.message}: weight files must lie inside the model's folder`, { source, cause: e }));
}

/** `model.json` (or its folder) with its weight shards from disk. */
export async function readTfjsModel(path: string): Promise<TfjsArtifacts> {
  const file = (await stat(path)).isDirectory() ? join(path, 'model.json') : path;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ModelFormatError(`cannot read TF.js model.json: ${(e as Error).message}`, { source: file, cause: e });
  }
  const json = parseModelJson(raw, file);
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map(async (p) =>
      readFile(await shardPath(dirname(file), p, file)).catch((e: unknown) => {
        throw new ModelFormatError(`weight shard '${p}' is missing beside model.json`, { source: file, cause: e });
      }),
    ),
  );
  return { json, weightData: concatBytes(shards), source: file };
}
