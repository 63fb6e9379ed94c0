import { ModelFormatError } from '../errors/model-format-error.js';
import { GraphBuilder } from '../onnx/builder.js';
import { int64Tensor } from '../onnx/tensor.js';
import type { Graph, Tensor } from '../onnx/types.js';
import { withBatch } from '../onnx/rewrites/fix-batch.js';
import { stripFinalSoftmax } from '../onnx/rewrites/strip-softmax.js';
import { inferShapes } from '../onnx/shapes.js';
import { permute } from '../util/permute.js';

/**
 * TF.js models are NHWC; the ONNX graph we build is NCHW inside. A value of rank 4 is always
 * stored NCHW; every other rank keeps TF's order. The graph input stays NHWC (one Transpose in).
 */
export interface Value {
  name: string;
  rank: number;
}

/** TF axis of a rank-4 NHWC tensor → its axis in our NCHW storage. */
export function storedAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return rank === 4 ? ([0, 2, 3, 1][a] as number) : a;
}

function asFloat(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

/** A TF constant broadcast against a rank-4 (NCHW) value: right-align to rank 4 as TF does, then NHWC → NCHW. */
export function nchwBroadcastConst(t: Tensor): Tensor {
  if (t.dims.length > 4) throw new RangeError(`constant of rank ${t.dims.length} cannot broadcast against an image tensor`);
  const dims = [...new Array<number>(4 - t.dims.length).fill(1), ...t.dims];
  const p = permute(asFloat(t), dims, [0, 3, 1, 2]);
  return { dtype: 'float32', dims: p.dims, data: p.data };
}

/** Conv2D kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
export function convKernel(t: Tensor): Tensor {
  const p = permute(asFloat(t), t.dims, [3, 2, 0, 1]);
  return { dtype: 'float32', dims: p.dims, data: p.data };
}

/** Depthwise kernel [kh, kw, in, mult] → grouped ONNX [in·mult, 1, kh, kw] (output channel i·mult + m, as TF orders them). */
export function depthwiseKernel(t: Tensor): Tensor {
  const [kh, kw, cin, mult] = t.dims as [number, number, number, number];
  const p = permute(asFloat(t), t.dims, [2, 3, 0, 1]);
  return { dtype: 'float32', dims: [cin * mult, 1, kh, kw], data: p.data };
}

export type Padding = 'same' | 'valid' | { pads: readonly number[] };

/**
 * ONNX Conv/pool attributes; TF's SAME puts the odd padding pixel at the end, as SAME_UPPER does.
 * ONNX Runtime rejects auto_pad with dilations, so a dilated stride-1 SAME conv (`kernel` = [kh, kw])
 * gets TF's pads spelled out: (k − 1)·d in all, the smaller half first.
 */
export function windowAttrs(strides: readonly number[], padding: Padding, dilations?: readonly number[], kernel?: readonly number[]): Record<string, number[] | string> {
  const a: Record<string, number[] | string> = { strides: [...strides] };
  const dilated = dilations !== undefined && dilations.some((d) => d !== 1);
  if (dilated) a['dilations'] = [...dilations];
  if (padding === 'same' && dilated && kernel && strides.every((s) => s === 1)) {
    const total = kernel.map((k, i) => (k - 1) * (dilations[i] ?? 1));
    a['pads'] = [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))];
  } else if (padding === 'same') a['auto_pad'] = 'SAME_UPPER';
  else if (padding !== 'valid') a['pads'] = [...padding.pads];
  return a;
}

/** Shared state of one import: the ONNX builder, the decoded weights, where errors point. */
export class ImportContext {
  readonly b = new GraphBuilder();

  constructor(
    readonly weights: ReadonlyMap<string, Tensor>,
    readonly source: string,
  ) {
    this.b.opsets[''] = 13;
  }

  weight(name: string, where: string): Tensor {
    // Layers of a nested model may be saved under the outer model's scope: 'outer/conv/kernel'.
    let t = this.weights.get(name);
    if (!t) {
      const scoped = [...this.weights.keys()].filter((k) => k.endsWith(`/${name}`));
      if (scoped.length === 1) t = this.weights.get(scoped[0]!);
    }
    if (!t) throw new ModelFormatError(`${where} needs weight '${name}', which the weights manifest does not have`, { source: this.source });
    return t;
  }

  /** A float constant in the graph. */
  floatConst(t: Tensor, hint: string): string {
    return this.b.constant({ dtype: 'float32', dims: t.dims, data: asFloat(t) }, hint);
  }

  ints(values: readonly number[], hint = 'shape'): string {
    return this.b.constant(int64Tensor([values.length], values), hint);
  }

  transpose(v: Value, perm: readonly number[]): Value {
    return { name: this.b.add('Transpose', [v.name], { perm: [...perm] }), rank: v.rank };
  }

  /** A rank-4 value in TF's own NHWC order (for Flatten/Reshape, whose element order is TF's). */
  inTfOrder(v: Value): Value {
    return v.rank === 4 ? this.transpose(v, [0, 2, 3, 1]) : v;
  }

  /** Back to storage order after an op that produced TF-ordered data. */
  fromTfOrder(name: string, rank: number): Value {
    return rank === 4 ? this.transpose({ name, rank }, [0, 3, 1, 2]) : { name, rank };
  }

  /** Graph input (NHWC as TF has it) and the value the rest of the graph reads. */
  input(name: string, tfShape: readonly (number | null)[]): Value {
    const shape = tfShape.map((d, i) => (d === null || d < 0 ? (i === 0 ? 'N' : `d${i}`) : d));
    this.b.input(name, 'float32', shape);
    return this.fromTfOrder(name, shape.length);
  }

  /**
   * Finish the graph with `out` as its output. A trailing softmax is dropped so explanations
   * work on logits; the caller reports it.
   */
  finish(out: Value, outputName: string, name: string): { graph: Graph; strippedSoftmax: boolean } {
    this.b.push('Identity', [out.name], [outputName]);
    this.b.output(outputName, 'float32', []);
    const { graph: g, stripped } = stripFinalSoftmax(this.b.build(name), outputName);
    // The output's static shape (batch symbolic) from shape inference at batch 1, so the class count is known.
    const dims = inferShapes(withBatch(g, 1)).get(outputName)?.dims ?? [];
    const shape = dims.map((d, i) => (i === 0 ? g.inputs[0]?.shape[0] ?? d : d));
    return { graph: { ...g, outputs: [{ name: outputName, dtype: 'float32', shape }] }, strippedSoftmax: stripped !== undefined };
  }
}
