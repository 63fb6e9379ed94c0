import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Classifier } from '../models/classifier.js';
import { findPackageModel } from '../models/packages.js';
import type { ModelCard } from '../models/spec.js';
import { sha256 } from '../util/sha256.js';

/** The files a model is read from, under the names a copy in the store gives them. */
export interface ModelFile {
  name: string;
  path: string;
}

/** An .onnx file, or a TF.js model.json and the weight shards its manifest names. */
export async function modelFiles(c: Classifier): Promise<ModelFile[]> {
  if (c.format === 'onnx') return [{ name: 'model.onnx', path: c.source }];
  const json = JSON.parse(await readFile(c.source, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const shards = (json.weightsManifest ?? []).flatMap((g) => g.paths);
  return [{ name: 'model.json', path: c.source }, ...shards.map((p) => ({ name: basename(p), path: join(dirname(c.source), p) }))];
}

/**
 * The model's identity in result keys: sha256 of its file (or, for TF.js, of its files' names and
 * hashes). A model from an npm package is hashed by its model file only: its version is pinned.
 */
export async function modelSha(c: Classifier, ref: string): Promise<string> {
  if (findPackageModel(ref)) return sha256(await readFile(c.source));
  const files = await modelFiles(c);
  if (files.length === 1) return sha256(await readFile(files[0]!.path));
  const lines: string[] = [];
  for (const f of files) lines.push(`${f.name}\0${sha256(await readFile(f.path))}`);
  return sha256(lines.join('\n'));
}

/** A card that reproduces the loaded classifier exactly, whatever card (or built-in) it came from. */
export function cardOf(c: Classifier): ModelCard {
  return {
    name: c.name,
    preprocess: c.spec,
    ...(c.labels ? { labels: c.labels } : {}),
    input: c.inputName,
    output: c.outputName,
    outputKind: c.outputKind,
  };
}
