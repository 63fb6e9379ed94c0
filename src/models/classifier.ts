import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { UsageError } from '../errors/usage-error.js';
import { readModel } from '../onnx/read.js';
import { stripFinalSoftmax } from '../onnx/rewrites/strip-softmax.js';
import type { Graph, ValueInfo } from '../onnx/types.js';
import { importTfjs } from '../tfjs/import.js';
import type { TfjsImport } from '../tfjs/import-result.js';
import { parseModelJson, readTfjsModel } from '../tfjs/read.js';
import type { TfjsArtifacts, TfjsModelJson } from '../tfjs/types.js';
import { findBuiltin, listBuiltins } from './builtin.js';
import { resolveNamedModel, type ResolveOptions } from './cache.js';
import { cardCandidates, cardLabels, findCard, readCard, readLabelsFile } from './card.js';
import { cardlessSpec, type NoCard } from './cardless.js';
import { findPackageModel, PACKAGE_MODELS, packageModelPath, readPackageModel } from './packages.js';
import { findNamedModel, namedModelNames } from './registry.js';
import { channelCount, PreprocessSpecSchema, type ModelCard, type PreprocessSpec } from './spec.js';
import { describeZodError } from '../util/zod-words.js';

export { labelIndex } from './labels.js';

export type ModelFormat = 'onnx' | 'tfjs-layers' | 'tfjs-graph';

export interface Classifier {
  name: string;
  /** File path the graph was read from. */
  source: string;
  format: ModelFormat;
  /** A TF.js model's trailing softmax was removed so the output is logits. */
  strippedSoftmax: boolean;
  /** A TF.js model's layer classes or TF ops as stored, with counts. */
  sourceOps?: Record<string, number>;
  /** As loaded (batch dimension symbolic; int8 models still quantized until prepareGraph). */
  graph: Graph;
  inputName: string;
  outputName: string;
  outputKind: 'logits' | 'probabilities';
  spec: PreprocessSpec;
  labels: string[] | undefined;
  numClasses: number;
  /** Set when the model has no card: what was read off the graph and what was assumed. */
  noCard?: NoCard;
}

/** What a caller (CLI flags) may set instead of, or on top of, the model card. */
export interface ClassifierOverrides {
  name?: string;
  spec?: Partial<z.input<typeof PreprocessSpecSchema>>;
  /** Inline labels, or a labels file path the caller chose (relative to the working directory; not confined like a card's). */
  labels?: string[] | string;
  /** Height and width for a model without a card whose graph leaves them open (inspect's stand-in). */
  fallbackSize?: [number, number];
  inputName?: string;
  outputName?: string;
  outputKind?: 'logits' | 'probabilities';
}

interface Loaded {
  graph: Graph;
  format: ModelFormat;
  strippedSoftmax: boolean;
  sourceOps?: Record<string, number>;
}

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

/** The card's preprocessing with the caller's overrides on top, or for a model without a card, what the graph and defaults say. */
function pickSpec(loc: Located, loaded: Loaded, input: ValueInfo, over: ClassifierOverrides): { spec: PreprocessSpec; noCard?: NoCard } {
  let noCard: NoCard | undefined;
  let wanted: Partial<z.input<typeof PreprocessSpecSchema>> = { ...loc.card?.preprocess, ...over.spec };
  if (!loc.card) {
    const tfjs = loaded.format !== 'onnx';
    const cardPaths = tfjs ? [join(dirname(resolve(loc.modelPath)), 'neuromask.json')] : cardCandidates(loc.modelPath);
    ({ spec: wanted, noCard } = cardlessSpec(input, { tfjs, over: over.spec ?? {}, cardPaths, source: loc.modelPath, fallbackSize: over.fallbackSize }));
  }
  const parsed = PreprocessSpecSchema.safeParse(wanted);
  if (!parsed.success) {
    const what = loc.card ? 'the card plus the options given' : 'the options given';
    throw new ModelFormatError(`the preprocessing from ${what} is invalid: ${describeZodError(parsed.error, { schema: PreprocessSpecSchema })}`, { source: loc.cardPath ?? loc.modelPath, cause: parsed.error });
  }
  return { spec: parsed.data, ...(noCard ? { noCard } : {}) };
}

function pickTensor(kind: 'input' | 'output', list: readonly ValueInfo[], want: string | undefined, source: string): ValueInfo {
  const names = list.map((v) => v.name);
  if (want !== undefined) {
    const v = list.find((x) => x.name === want);
    if (!v) throw new ModelFormatError(`graph has no ${kind} '${want}'; its ${kind}s: ${names.join(', ')}`, { source });
    return v;
  }
  if (list.length !== 1 || !list[0]) {
    throw new ModelFormatError(`graph has ${list.length} ${kind}s (${names.join(', ')}); name one with "${kind}" in the model card`, { source });
  }
  return list[0];
}

/** Catch a card (or options) that do not fit the graph now, not as a shape error deep inside ONNX Runtime. */
function checkInput(input: ValueInfo, spec: PreprocessSpec, source: string, over: ClassifierOverrides['spec']): void {
  if (input.shape.length !== 4) return;
  const [c, h, w] = spec.layout === 'nchw' ? input.shape.slice(1) : [input.shape[3], input.shape[1], input.shape[2]];
  const want = [channelCount(spec), spec.inputSize[0], spec.inputSize[1]];
  [c, h, w].forEach((d, i) => {
    if (typeof d === 'number' && d !== want[i]) {
      // The options given are what is wrong when they set the size or layout: a usage error, not a bad model.
      const byOptions = over?.inputSize !== undefined || over?.layout !== undefined;
      const says = `${spec.layout} ${spec.channels} ${spec.inputSize.join('x')}`;
      if (byOptions) throw new UsageError(`${source}: input '${input.name}' has shape [${input.shape.join(',')}] but the options given say ${says}`);
      throw new ModelFormatError(`input '${input.name}' has shape [${input.shape.join(',')}] but the card says ${says}`, { source });
    }
  });
}

/**
 * Explanations work on logits: a final softmax is removed unless the card (or caller) says the
 * output is 'probabilities' and so asks to keep it. TF.js importers have removed theirs already.
 */
function logitsOutput(loaded: Loaded, output: string, kind: Classifier['outputKind'] | undefined): Loaded & { outputKind: Classifier['outputKind'] } {
  if (loaded.strippedSoftmax) return { ...loaded, outputKind: 'logits' };
  const { graph, stripped } = stripFinalSoftmax(loaded.graph, output);
  // Log-probabilities are no probabilities, whatever the card says; the logits before them are exact.
  if (kind === 'probabilities' && stripped !== 'LogSoftmax') return { ...loaded, outputKind: kind };
  return { ...loaded, graph, strippedSoftmax: stripped !== undefined, outputKind: 'logits' };
}

/** Load a built-in, npm-package or named (cached) model, an .onnx file, or a TF.js model.json (or its folder), with its card. */
export async function loadClassifier(ref: string, overrides: ClassifierOverrides = {}, load: Partial<ResolveOptions> = {}): Promise<Classifier> {
  const loc = await locate(ref, load);
  const loaded = await loc.read();
  const input = pickTensor('input', loaded.graph.inputs, overrides.inputName ?? loc.card?.input, loc.modelPath);
  const output = pickTensor('output', loaded.graph.outputs, overrides.outputName ?? loc.card?.output, loc.modelPath);
  const { graph, format, strippedSoftmax, outputKind } = logitsOutput(loaded, output.name, overrides.outputKind ?? loc.card?.outputKind);
  const { spec, noCard } = pickSpec(loc, loaded, input, overrides);
  checkInput(input, spec, loc.modelPath, overrides.spec);
  const labels =
    overrides.labels === undefined
      ? await cardLabels(loc.card?.labels, loc.cardDir, loc.cardPath ?? loc.modelPath)
      : Array.isArray(overrides.labels)
        ? overrides.labels
        : await readLabelsFile(resolve(overrides.labels));
  const last = output.shape[output.shape.length - 1];
  const dimClasses = typeof last === 'number' ? last : undefined;
  if (dimClasses !== undefined && labels && labels.length !== dimClasses) {
    throw new ModelFormatError(`output '${output.name}' has ${dimClasses} classes but there are ${labels.length} labels`, { source: loc.cardPath ?? loc.modelPath });
  }
  const numClasses = dimClasses ?? labels?.length;
  if (numClasses === undefined) {
    throw new ModelFormatError(`output '${output.name}' has no static class dimension and no labels are given; add "labels" to the model card (or give --labels)`, { source: loc.modelPath });
  }
  return {
    name: overrides.name ?? loc.card?.name ?? loc.name,
    source: loc.modelPath,
    format,
    strippedSoftmax,
    ...(loaded.sourceOps ? { sourceOps: loaded.sourceOps } : {}),
    graph,
    inputName: input.name,
    outputName: output.name,
    outputKind,
    spec,
    labels,
    numClasses,
    ...(noCard ? { noCard: labels ? noCard : { ...noCard, assumed: [...noCard.assumed, `labels 0…${numClasses - 1}`] } } : {}),
  };
}
