import { ModelFormatError } from '../../errors/model-format-error.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { ImportContext, type Value } from '../context.js';
import type { TfjsImport } from '../import-result.js';
import { blockedError, type TfjsSurvey } from '../blocked.js';
import type { TfjsArtifacts, TfjsModelJson } from '../types.js';
import { decodeWeights } from '../weights.js';
import { LAYER_CONVERTERS, type LayerSpec } from './converters.js';

type Ref = [layer: string, node: number, tensor: number];

interface RawLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}

/** Keras 2 (`[[name, node, tensor, kwargs], …]`) and Keras 3 (`{args: [keras tensors]}`) call records → input refs. */
function callInputs(node: unknown): Ref[] {
  if (Array.isArray(node)) return node.map((r) => [String(r[0]), Number(r[1] ?? 0), Number(r[2] ?? 0)]);
  const refs: Ref[] = [];
  const visit = (a: unknown): void => {
    if (Array.isArray(a)) return a.forEach(visit);
    if (a && typeof a === 'object') {
      const o = a as { class_name?: string; config?: { keras_history?: unknown[] } };
      const h = o.config?.keras_history;
      if (o.class_name === '__keras_tensor__' && h) refs.push([String(h[0]), Number(h[1] ?? 0), Number(h[2] ?? 0)]);
    }
  };
  visit((node as { args?: unknown }).args);
  return refs;
}

const key = (r: Ref): string => `${r[0]}:${r[1]}:${r[2]}`;

function layerList(config: unknown): RawLayer[] {
  if (Array.isArray(config)) return config as RawLayer[];
  return ((config as { layers?: RawLayer[] }).layers ?? []) as RawLayer[];
}

function inputShape(l: RawLayer): (number | null)[] | undefined {
  const c = l.config;
  const s = (c['batch_input_shape'] ?? c['batch_shape']) as (number | null)[] | undefined;
  if (s) return s;
  const i = c['input_shape'] as (number | null)[] | undefined;
  return i ? [null, ...i] : undefined;
}

function spec(l: RawLayer): LayerSpec {
  return { className: l.class_name, name: String(l.name ?? l.config['name']), config: l.config };
}

/** Keras model classes; a model can also appear as a layer of another (transfer learning: Sequential([base, head])). */
const MODELS = new Set(['Sequential', 'Model', 'Functional']);

function countLayers(layers: readonly RawLayer[], counts: Record<string, number> = {}): Record<string, number> {
  for (const l of layers) {
    counts[l.class_name] = (counts[l.class_name] ?? 0) + 1;
    if (MODELS.has(l.class_name)) countLayers(layerList(l.config), counts);
  }
  return counts;
}

/** Every layer without a converter, nested models included, so one error can name them all. */
function missingLayers(layers: readonly RawLayer[]): RawLayer[] {
  return layers.flatMap((l) => (MODELS.has(l.class_name) ? missingLayers(layerList(l.config)) : l.class_name === 'InputLayer' || LAYER_CONVERTERS[l.class_name] ? [] : [l]));
}

function convert(ctx: ImportContext, l: RawLayer, inputs: Value[]): Value {
  if (MODELS.has(l.class_name)) return runModel(ctx, l, inputs);
  const s = spec(l);
  return LAYER_CONVERTERS[s.className]!(ctx, s, inputs);
}

function refList(x: unknown[]): Ref[] {
  return Array.isArray(x[0]) ? (x as unknown[][]).map((r) => [String(r[0]), Number(r[1]), Number(r[2])] as Ref) : [[String(x[0]), Number(x[1]), Number(x[2])]];
}

function endpoints(model: RawLayer, source: string): { inRef: Ref; outRef: Ref } {
  const cfg = model.config as { input_layers?: unknown[]; output_layers?: unknown[] };
  const inRefs = refList(cfg.input_layers ?? []);
  const outRefs = refList(cfg.output_layers ?? []);
  if (inRefs.length !== 1 || outRefs.length !== 1 || !inRefs[0] || !outRefs[0]) {
    throw new ModelFormatError(`model '${spec(model).name}' has ${inRefs.length} inputs and ${outRefs.length} outputs; neuromask explains single-input, single-output classifiers`, { source });
  }
  return { inRef: inRefs[0], outRef: outRefs[0] };
}

/** The TF shape of a model's input, from its first layer or its input layer. */
function modelInputShape(model: RawLayer, source: string): (number | null)[] {
  const layers = layerList(model.config);
  const first = model.class_name === 'Sequential' ? layers[0] : layers.find((l) => spec(l).name === endpoints(model, source).inRef[0]);
  const shape = first && (MODELS.has(first.class_name) ? modelInputShape(first, source) : inputShape(first));
  if (!shape) throw new ModelFormatError(`model '${spec(model).name}': its first layer has no batch_input_shape`, { source });
  return shape;
}

/** Apply a (sub)model to `inputs`. */
function runModel(ctx: ImportContext, model: RawLayer, inputs: Value[]): Value {
  const layers = layerList(model.config);
  const x = inputs[0];
  if (!x) throw new ModelFormatError(`model '${spec(model).name}' is called without an input`, { source: ctx.source });
  if (model.class_name === 'Sequential') return layers.reduce((h, l) => (l.class_name === 'InputLayer' ? h : convert(ctx, l, [h])), x);
  const { inRef, outRef } = endpoints(model, ctx.source);
  const values = new Map<string, Value>([[key(inRef), x]]);
  // Keras lists layers in topological order; loop until nothing changes anyway, so hand-edited files work.
  const pending = layers.filter((l) => l.class_name !== 'InputLayer');
  let progressed = true;
  while (pending.length && progressed) {
    progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const l = pending[i]!;
      const calls = (l.inbound_nodes ?? []).map(callInputs);
      if (!calls.every((refs) => refs.every((r) => values.has(key(r))))) continue;
      calls.forEach((refs, nodeIdx) => values.set(`${spec(l).name}:${nodeIdx}:0`, convert(ctx, l, refs.map((r) => values.get(key(r))!))));
      pending.splice(i--, 1);
      progressed = true;
    }
  }
  const out = values.get(key(outRef));
  if (!out) throw new ModelFormatError(`output '${outRef[0]}' is not reachable from the input (unresolved layers: ${pending.map((l) => spec(l).name).join(', ')})`, { source: ctx.source });
  return out;
}

/** What a Layers model holds and which of its layers have no converter, without converting it. */
export function surveyLayersModel(json: TfjsModelJson, source: string): TfjsSurvey {
  const topo = json.modelTopology as { model_config?: RawLayer } & Partial<RawLayer>;
  const model = (topo.model_config ?? topo) as RawLayer;
  const layers = layerList(model.config);
  let inputTf: (number | null)[] | undefined;
  try {
    inputTf = modelInputShape(model, source);
  } catch {
    inputTf = undefined;
  }
  return { format: 'layers', inputShape: inputTf, sourceOps: countLayers(layers), missing: missingLayers(layers).map((l) => ({ type: l.class_name, name: spec(l).name })) };
}

/** A TF.js Layers model (Keras topology) → an ONNX graph with an NHWC input and a logits output. */
export function importLayersModel(a: TfjsArtifacts, name = 'tfjs-layers'): TfjsImport {
  const topo = a.json.modelTopology as { model_config?: RawLayer } & Partial<RawLayer>;
  const model = (topo.model_config ?? topo) as RawLayer;
  if (!model.class_name) throw new ModelFormatError('model.json has no Keras model_config / class_name', { source: a.source });
  if (!MODELS.has(model.class_name)) {
    throw new UnsupportedOpError(model.class_name, String(model.name ?? 'model'), { detail: 'top-level model class (Sequential, Model and Functional are supported)' });
  }
  const blocked = blockedError(surveyLayersModel(a.json, a.source), Object.keys(LAYER_CONVERTERS));
  if (blocked) throw blocked;
  const ctx = new ImportContext(decodeWeights(a), a.source);
  const shape = modelInputShape(model, a.source);
  const out = runModel(ctx, model, [ctx.input('input', shape)]);
  return { ...ctx.finish(out, 'logits', name), inputName: 'input', inputShape: shape, format: 'layers', sourceOps: countLayers(layerList(model.config)) };
}
