import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { opsetOf } from './attrs.js';
import { evalNode } from './eval/evaluate.js';
import { SHAPE_RULES, type ShapeContext, type ShapeInfo } from './shape-rules/index.js';
import type { Graph, Tensor } from './types.js';

export type { ShapeInfo } from './shape-rules/index.js';

/** Largest tensor kept as a known constant while inferring (shape computations are tiny). */
const MAX_CONST = 1 << 12;

/**
 * Static dtype and dims of every graph input, initializer and node output.
 * Graph inputs must have numeric dims (fix the batch first, see `withBatch`).
 */
export function inferShapes(g: Graph): Map<string, ShapeInfo> {
  return infer(g, true);
}

/** Like inferShapes, but skips what it cannot infer (symbolic inputs, unknown ops) instead of throwing. */
export function inferKnownShapes(g: Graph): Map<string, ShapeInfo> {
  return infer(g, false);
}

function infer(g: Graph, strict: boolean): Map<string, ShapeInfo> {
  const info = new Map<string, ShapeInfo>();
  const values = new Map<string, Tensor>();
  for (const v of g.inputs) {
    const sym = v.shape.find((d) => typeof d !== 'number');
    if (sym !== undefined && !strict) continue;
    if (sym !== undefined) throw new Error(`graph input "${v.name}" has symbolic dim "${sym}"; fix it (e.g. withBatch) before inferring shapes`);
    info.set(v.name, { dtype: v.dtype, dims: v.shape as number[] });
  }
  for (const [name, t] of g.initializers) {
    info.set(name, { dtype: t.dtype, dims: [...t.dims] });
    if (t.data.length <= MAX_CONST) values.set(name, t);
  }
  const opset = opsetOf(g.opsets, '');
  for (const n of g.nodes) {
    const ctx: ShapeContext = {
      opset,
      value: (name) => values.get(name),
      shape: (name) => info.get(name)?.dims,
      input: (i) => {
        const name = n.inputs[i];
        const s = name ? info.get(name) : undefined;
        if (!s) throw new Error(`node "${n.name}" (${n.opType}): input ${i} ${name ? `"${name}" has no known shape` : 'is missing'}`);
        return s;
      },
    };
    const rule = n.domain === '' || n.domain === 'ai.onnx' ? SHAPE_RULES[n.opType] : undefined;
    if (!rule && !strict) continue;
    if (!rule) throw new UnsupportedOpError(n.opType, n.name, n.domain ? { domain: n.domain } : {});
    let outs: ShapeInfo[];
    try {
      outs = rule(n, ctx);
    } catch (cause) {
      if (!strict) continue;
      if (cause instanceof UnsupportedOpError) throw cause;
      throw new Error(`shape inference failed at node "${n.name}" (${n.opType}): ${(cause as Error).message}`, { cause });
    }
    n.outputs.forEach((o, i) => {
      const s = outs[i];
      if (o && s) info.set(o, s);
    });
    const consts = evalNode(n, ctx);
    consts?.forEach((t, i) => {
      const o = n.outputs[i];
      if (o && t.data.length <= MAX_CONST) values.set(o, t);
    });
  }
  return info;
}
