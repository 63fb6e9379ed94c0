import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import { UsageError } from '../errors/usage-error.js';
import { stripFinalSoftmax } from '../onnx/rewrites/strip-softmax.js';
import type { Graph, ValueInfo } from '../onnx/types.js';
import { describeZodError } from '../util/zod-words.js';
import { cardlessSpec, type NoCard } from './cardless.js';
import { channelCount, PreprocessSpecSchema, type ModelCard, type PreprocessSpec } from './spec.js';

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

export interface Loaded {
  graph: Graph;
  format: ModelFormat;
  strippedSoftmax: boolean;
  sourceOps?: Record<string, number>;
}

/** A model found and read by a platform's loader (files in Node; URLs, Files or bytes in the browser), with its card. */
export interface Found {
  /** Name when neither the caller nor the card gives one. */
  name: string;
  /** Where the graph came from, for messages and `Classifier.source`. */
  modelPath: string;
  card: ModelCard | undefined;
  cardPath: string | undefined;
  /** Where a card would be looked for, for a model without one (`NoCard.cardPaths`). */
  cardPaths: (tfjs: boolean) => string[];
  /** The labels: the caller's (inline, or a file the platform can read), else the card's. */
  readLabels: (given: ClassifierOverrides['labels']) => Promise<string[] | undefined>;
}

/** The card's preprocessing with the caller's overrides on top, or for a model without a card, what the graph and defaults say. */
function pickSpec(loc: Found, loaded: Loaded, input: ValueInfo, over: ClassifierOverrides): { spec: PreprocessSpec; noCard?: NoCard } {
  let noCard: NoCard | undefined;
  let wanted: Partial<z.input<typeof PreprocessSpecSchema>> = { ...loc.card?.preprocess, ...over.spec };
  if (!loc.card) {
    const tfjs = loaded.format !== 'onnx';
    const cardPaths = loc.cardPaths(tfjs);
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

/**
 * The classifier for a graph a loader has read: input and output picked, a final softmax removed
 * (unless the card keeps probabilities), the preprocessing from the card or the graph, labels
 * checked against the class dimension. Platform-free: Node's and the browser's loaders share it.
 */
export async function assembleClassifier(loc: Found, loaded: Loaded, overrides: ClassifierOverrides = {}): Promise<Classifier> {
  const input = pickTensor('input', loaded.graph.inputs, overrides.inputName ?? loc.card?.input, loc.modelPath);
  const output = pickTensor('output', loaded.graph.outputs, overrides.outputName ?? loc.card?.output, loc.modelPath);
  const { graph, format, strippedSoftmax, outputKind } = logitsOutput(loaded, output.name, overrides.outputKind ?? loc.card?.outputKind);
  const { spec, noCard } = pickSpec(loc, loaded, input, overrides);
  checkInput(input, spec, loc.modelPath, overrides.spec);
  const labels = await loc.readLabels(overrides.labels);
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
