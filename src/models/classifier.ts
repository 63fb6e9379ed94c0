import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { readModel } from '../onnx/read.js';
import { importTfjs } from '../tfjs/import.js';
import type { TfjsImport } from '../tfjs/import-result.js';
import { parseModelJson, readTfjsModel } from '../tfjs/read.js';
import type { TfjsArtifacts, TfjsModelJson } from '../tfjs/types.js';
import { findBuiltin, listBuiltins } from './builtin.js';
import { resolveNamedModel, type ResolveOptions } from './cache.js';
import { cardCandidates, cardLabels, findCard, readCard, readLabelsFile } from './card.js';
import { findPackageModel, PACKAGE_MODELS, packageModelPath, readPackageModel } from './packages.js';
import { findNamedModel, namedModelNames } from './registry.js';
import type { ModelCard } from './spec.js';
import { assembleClassifier, type Classifier, type ClassifierOverrides, type Found, type Loaded } from './assemble.js';

export { labelIndex } from './labels.js';

export type { Classifier, ClassifierOverrides, ModelFormat } from './assemble.js';

interface Located {
  name: string;
  modelPath: string;
  read: () => Promise<Loaded>;
  card: ModelCard | undefined;
  /** Directory that relative paths in the card are resolved against. */
  cardDir: string;
  cardPath: string | undefined;
}

const readOnnx = (path: string) => async (): Promise<Loaded> => ({ graph: readModel(await readFile(path), path), format: 'onnx', strippedSoftmax: false });

const fromTfjs = (name: string, artifacts: () => Promise<TfjsArtifacts>) => async (): Promise<Loaded> => {
  const imp: TfjsImport = importTfjs(await artifacts(), name);
  return { graph: imp.graph, format: imp.format === 'graph' ? 'tfjs-graph' : 'tfjs-layers', strippedSoftmax: imp.strippedSoftmax, sourceOps: imp.sourceOps };
};

/** A TF.js model is a model.json, or a folder holding one; its card can only be neuromask.json beside it. */
async function tfjsModelJson(ref: string): Promise<string | undefined> {
  const st = await stat(ref).catch(() => undefined);
  if (st?.isDirectory()) return (await stat(join(ref, 'model.json')).then((s) => s.isFile(), () => false)) ? join(ref, 'model.json') : undefined;
  return st?.isFile() && /\.json$/i.test(ref) ? ref : undefined;
}

/**
 * The model.json behind `ref` when it names a TF.js model (a package model, a model.json or its
 * folder), read but not converted; undefined for anything else.
 */
export async function readTfjsJson(ref: string): Promise<{ json: TfjsModelJson; source: string } | undefined> {
  const pkg = findPackageModel(ref);
  if (pkg) return readPackageModel(pkg);
  const path = await tfjsModelJson(ref);
  return path ? { json: parseModelJson(JSON.parse(await readFile(path, 'utf8')), path), source: path } : undefined;
}

async function locate(ref: string, load: Partial<ResolveOptions>): Promise<Located> {
  const builtin = await findBuiltin(ref);
  if (builtin) return { name: ref, modelPath: builtin.modelPath, read: readOnnx(builtin.modelPath), card: await readCard(builtin.cardPath), cardDir: builtin.dir, cardPath: builtin.cardPath };
  const pkg = findPackageModel(ref);
  if (pkg) {
    const path = packageModelPath(pkg);
    return { name: ref, modelPath: path, read: fromTfjs(ref, () => readPackageModel(pkg)), card: pkg.card, cardDir: dirname(path), cardPath: undefined };
  }
  const named = findNamedModel(ref);
  if (named) {
    const r = await resolveNamedModel(ref, { allowDownload: false, ...load });
    return { name: ref, modelPath: r.modelPath, read: readOnnx(r.modelPath), card: named.card, cardDir: r.dir, cardPath: undefined };
  }
  const json = await tfjsModelJson(ref);
  if (json) {
    const cardPath = join(dirname(resolve(json)), 'neuromask.json');
    const card = (await stat(cardPath).then((s) => s.isFile(), () => false)) ? await readCard(cardPath) : undefined;
    const name = card?.name ?? basename(dirname(resolve(json)));
    return { name, modelPath: json, read: fromTfjs(name, () => readTfjsModel(json)), card, cardDir: dirname(cardPath), cardPath: card ? cardPath : undefined };
  }
  if (!(await stat(ref).then((s) => s.isFile(), () => false))) {
    const known = [...(await listBuiltins()).map((b) => b.name), ...PACKAGE_MODELS.map((m) => m.name), ...namedModelNames()];
    throw new ModelNotFoundError(ref, `no model file '${ref}', and no built-in or named model by that name (known: ${known.join(', ')})`, { searched: [resolve(ref)] });
  }
  const cardPath = await findCard(ref);
  const card = cardPath ? await readCard(cardPath) : undefined;
  const name = card?.name ?? ref.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '');
  return { name, modelPath: ref, read: readOnnx(ref), card, cardDir: dirname(resolve(cardPath ?? ref)), cardPath };
}

/** Load a built-in, npm-package or named (cached) model, an .onnx file, or a TF.js model.json (or its folder), with its card. */
export async function loadClassifier(ref: string, overrides: ClassifierOverrides = {}, load: Partial<ResolveOptions> = {}): Promise<Classifier> {
  const loc = await locate(ref, load);
  const loaded = await loc.read();
  const found: Found = {
    ...loc,
    cardPaths: (tfjs) => (tfjs ? [join(dirname(resolve(loc.modelPath)), 'neuromask.json')] : cardCandidates(loc.modelPath)),
    readLabels: async (given) =>
      given === undefined ? cardLabels(loc.card?.labels, loc.cardDir, loc.cardPath ?? loc.modelPath) : Array.isArray(given) ? given : readLabelsFile(resolve(given)),
  };
  return assembleClassifier(found, loaded, overrides);
}
