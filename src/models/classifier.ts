import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { readModel } from '../onnx/read.js';
import type { Graph, ValueInfo } from '../onnx/types.js';
import { findBuiltin, listBuiltins } from './builtin.js';
import { resolveNamedModel, type ResolveOptions } from './cache.js';
import { CARD_EXAMPLE, cardCandidates, cardLabels, describeIssues, findCard, readCard } from './card.js';
import { findNamedModel, namedModelNames } from './registry.js';
import { channelCount, PreprocessSpecSchema, type ModelCard, type PreprocessSpec } from './spec.js';

export { labelIndex } from './labels.js';

export interface Classifier {
  name: string;
  /** File path the graph was read from. */
  source: string;
  /** As loaded (batch dimension symbolic; int8 models still quantized until prepareGraph). */
  graph: Graph;
  inputName: string;
  outputName: string;
  outputKind: 'logits' | 'probabilities';
  spec: PreprocessSpec;
  labels: string[] | undefined;
  numClasses: number;
}

/** What a caller (CLI flags) may set instead of, or on top of, the model card. */
export interface ClassifierOverrides {
  name?: string;
  spec?: Partial<z.input<typeof PreprocessSpecSchema>>;
  /** Inline labels, or a labels file path (relative to the working directory). */
  labels?: string[] | string;
  inputName?: string;
  outputName?: string;
  outputKind?: 'logits' | 'probabilities';
}

interface Located {
  name: string;
  modelPath: string;
  card: ModelCard | undefined;
  /** Directory that relative paths in the card are resolved against. */
  cardDir: string;
  cardPath: string | undefined;
}

async function locate(ref: string, load: Partial<ResolveOptions>): Promise<Located> {
  const builtin = await findBuiltin(ref);
  if (builtin) return { name: ref, modelPath: builtin.modelPath, card: await readCard(builtin.cardPath), cardDir: builtin.dir, cardPath: builtin.cardPath };
  const named = findNamedModel(ref);
  if (named) {
    const r = await resolveNamedModel(ref, { allowDownload: false, ...load });
    return { name: ref, modelPath: r.modelPath, card: named.card, cardDir: r.dir, cardPath: undefined };
  }
  if (!(await stat(ref).then((s) => s.isFile(), () => false))) {
    const known = [...(await listBuiltins()).map((b) => b.name), ...namedModelNames()];
    throw new ModelNotFoundError(ref, `no model file '${ref}', and no built-in or named model by that name (known: ${known.join(', ')})`, { searched: [resolve(ref)] });
  }
  const cardPath = await findCard(ref);
  const card = cardPath ? await readCard(cardPath) : undefined;
  const name = card?.name ?? ref.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '');
  return { name, modelPath: ref, card, cardDir: dirname(resolve(cardPath ?? ref)), cardPath };
}

function pickSpec(loc: Located, over: ClassifierOverrides['spec']): PreprocessSpec {
  const parsed = PreprocessSpecSchema.safeParse({ ...loc.card?.preprocess, ...over });
  if (parsed.success) return parsed.data;
  const where = loc.cardPath ?? cardCandidates(loc.modelPath).join(' or ');
  const msg = loc.card
    ? `preprocessing (card plus overrides) is invalid: ${describeIssues(parsed.error)}`
    : `no model card: write ${where} describing its preprocessing, for example\n${CARD_EXAMPLE}\n(${describeIssues(parsed.error)})`;
  throw new ModelFormatError(msg, { source: loc.modelPath, cause: parsed.error });
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

/** Catch a card that does not fit the graph now, not as a shape error deep inside ONNX Runtime. */
function checkInput(input: ValueInfo, spec: PreprocessSpec, source: string): void {
  if (input.shape.length !== 4) return;
  const [c, h, w] = spec.layout === 'nchw' ? input.shape.slice(1) : [input.shape[3], input.shape[1], input.shape[2]];
  const want = [channelCount(spec), spec.inputSize[0], spec.inputSize[1]];
  [c, h, w].forEach((d, i) => {
    if (typeof d === 'number' && d !== want[i]) {
      throw new ModelFormatError(
        `input '${input.name}' has shape [${input.shape.join(',')}] but the card says ${spec.layout} ${spec.channels} ${spec.inputSize.join('x')}`,
        { source },
      );
    }
  });
}

/** Load a built-in model, a named (cached) model, or an .onnx file with its card. */
export async function loadClassifier(ref: string, overrides: ClassifierOverrides = {}, load: Partial<ResolveOptions> = {}): Promise<Classifier> {
  const loc = await locate(ref, load);
  const spec = pickSpec(loc, overrides.spec);
  const graph = readModel(await readFile(loc.modelPath), loc.modelPath);
  const input = pickTensor('input', graph.inputs, overrides.inputName ?? loc.card?.input, loc.modelPath);
  const output = pickTensor('output', graph.outputs, overrides.outputName ?? loc.card?.output, loc.modelPath);
  checkInput(input, spec, loc.modelPath);
  const labels = overrides.labels !== undefined ? await cardLabels(overrides.labels, process.cwd()) : await cardLabels(loc.card?.labels, loc.cardDir);
  const last = output.shape[output.shape.length - 1];
  const dimClasses = typeof last === 'number' ? last : undefined;
  if (dimClasses !== undefined && labels && labels.length !== dimClasses) {
    throw new ModelFormatError(`output '${output.name}' has ${dimClasses} classes but there are ${labels.length} labels`, { source: loc.cardPath ?? loc.modelPath });
  }
  const numClasses = dimClasses ?? labels?.length;
  if (numClasses === undefined) {
    throw new ModelFormatError(`output '${output.name}' has no static class dimension and no labels are given; add "labels" to the model card`, { source: loc.modelPath });
  }
  return {
    name: overrides.name ?? loc.card?.name ?? loc.name,
    source: loc.modelPath,
    graph,
    inputName: input.name,
    outputName: output.name,
    outputKind: overrides.outputKind ?? loc.card?.outputKind ?? 'logits',
    spec,
    labels,
    numClasses,
  };
}
