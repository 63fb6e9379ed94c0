import { ModelFormatError } from '../../errors/model-format-error.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { ImportContext, type Value } from '../context.js';
import type { TfjsImport } from '../import-result.js';
import type { TfjsArtifacts } from '../types.js';
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

function convert(ctx: ImportContext, l: RawLayer, inputs: Value[]): Value {
  const s = spec(l);
  const f = LAYER_CONVERTERS[s.className];
  if (!f) {
    throw new UnsupportedOpError(s.className, s.name, { detail: `TF.js layer type not supported (supported: ${Object.keys(LAYER_CONVERTERS).sort().join(', ')})` });
  }
  return f(ctx, s, inputs);
}

/** A TF.js Layers model (Keras topology) → an ONNX graph with an NHWC input and a logits output. */
export function importLayersModel(a: TfjsArtifacts, name = 'tfjs-layers'): TfjsImport {
  const topo = a.json.modelTopology as { model_config?: RawLayer } & Partial<RawLayer>;
  const model = (topo.model_config ?? topo) as RawLayer;
  if (!model.class_name) throw new ModelFormatError('model.json has no Keras model_config / class_name', { source: a.source });
  const ctx = new ImportContext(decodeWeights(a), a.source);
  const layers = layerList(model.config);
  // Name every unsupported layer at once, not only the first one met.
  const missing = layers.filter((l) => l.class_name !== 'InputLayer' && !LAYER_CONVERTERS[l.class_name]);
  if (missing.length) {
    const list = missing.map((l) => `${l.class_name} '${spec(l).name}'`).join(', ');
    throw new UnsupportedOpError(missing[0]!.class_name, spec(missing[0]!).name, { detail: `TF.js layers without a converter: ${list} (supported: ${Object.keys(LAYER_CONVERTERS).sort().join(', ')})` });
  }
  let out: Value;
  let inputTf: (number | null)[];

  if (model.class_name === 'Sequential') {
    const firstLayer = layers[0];
    const shape = firstLayer && inputShape(firstLayer);
    if (!firstLayer || !shape) throw new ModelFormatError('Sequential model: the first layer has no batch_input_shape', { source: a.source });
    inputTf = shape;
    out = ctx.input('input', shape);
    for (const l of layers) if (l.class_name !== 'InputLayer') out = convert(ctx, l, [out]);
  } else if (model.class_name === 'Model' || model.class_name === 'Functional') {
    const cfg = model.config as { input_layers?: unknown[]; output_layers?: unknown[] };
    const ins = (cfg.input_layers ?? []) as unknown[];
    const outs = (cfg.output_layers ?? []) as unknown[];
    const flat = (x: unknown[]): Ref[] => (Array.isArray(x[0]) ? (x as unknown[][]).map((r) => [String(r[0]), Number(r[1]), Number(r[2])] as Ref) : [[String(x[0]), Number(x[1]), Number(x[2])]]);
    const inRefs = flat(ins);
    const outRefs = flat(outs);
    if (inRefs.length !== 1 || outRefs.length !== 1) {
      throw new ModelFormatError(`model has ${inRefs.length} inputs and ${outRefs.length} outputs; neuromask explains single-input, single-output classifiers`, { source: a.source });
    }
    const values = new Map<string, Value>();
    const inLayer = layers.find((l) => spec(l).name === inRefs[0]![0]);
    const shape = inLayer && inputShape(inLayer);
    if (!shape) throw new ModelFormatError(`input layer '${inRefs[0]![0]}' has no batch_input_shape`, { source: a.source });
    inputTf = shape;
    values.set(key(inRefs[0]!), ctx.input('input', shape));
    // Layers are listed in topological order by Keras; loop anyway until nothing changes, so hand-edited files work.
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
    const o = values.get(key(outRefs[0]!));
    if (!o) throw new ModelFormatError(`output '${outRefs[0]![0]}' is not reachable from the input (unresolved layers: ${pending.map((l) => spec(l).name).join(', ')})`, { source: a.source });
    out = o;
  } else {
    throw new UnsupportedOpError(model.class_name, String(model.name ?? 'model'), { detail: 'top-level model class (Sequential, Model and Functional are supported)' });
  }
  return { ...ctx.finish(out, 'logits', name), inputName: 'input', inputShape: inputTf, format: 'layers' };
}
