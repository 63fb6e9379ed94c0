import { attrInt, attrInts } from '../attrs.js';
import { axesOf, constInts, evalNode } from '../eval/evaluate.js';
import {
  broadcastShapes, normAxis, reshapeDims, sliceRanges, squeezeDims, unsqueezeDims,
} from '../eval/ndarray.js';
import { sizeOf } from '../tensor.js';
import type { Node } from '../types.js';
import type { ShapeContext, ShapeRule } from './context.js';

function need<T>(v: T | null | undefined, n: Node, what: string): T {
  if (v === null || v === undefined) throw new Error(`node "${n.name}" (${n.opType}): ${what} must be a constant`);
  return v;
}

/** Optional constant input `i`: undefined when absent or empty; throws when not constant. */
function optional(n: Node, i: number, c: ShapeContext): number[] | undefined {
  const v = constInts(n, i, c);
  if (v === null) throw new Error(`node "${n.name}" (${n.opType}): input ${i} must be a constant`);
  return v && v.length > 0 ? v : undefined;
}

const withDims = (c: ShapeContext, dims: number[]) => [{ dtype: c.input(0).dtype, dims }];

const reduce: ShapeRule = (n, c) => {
  const x = c.input(0);
  const axes = axesOf(n, 1, c);
  if (axes === null) throw new Error(`node "${n.name}" (${n.opType}): axes must be a constant`);
  const keep = attrInt(n, 'keepdims', 1) === 1;
  if ((!axes || axes.length === 0) && attrInt(n, 'noop_with_empty_axes', 0) === 1) return withDims(c, [...x.dims]);
  const set = new Set((axes && axes.length > 0 ? axes : x.dims.map((_, i) => i)).map((a) => normAxis(a, x.dims.length)));
  const dims = x.dims.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d]));
  return withDims(c, dims);
};

const split: ShapeRule = (n, c) => {
  const x = c.input(0);
  const a = normAxis(attrInt(n, 'axis', 0), x.dims.length);
  const d = x.dims[a]!;
  const k = n.outputs.length;
  let sizes = attrInts(n, 'split') ?? optional(n, 1, c);
  if (!sizes) {
    const chunk = attrInt(n, 'num_outputs') !== undefined ? Math.ceil(d / k) : d / k;
    sizes = Array.from({ length: k }, (_, i) => Math.min(chunk, d - i * chunk));
  }
  return sizes.map((s) => ({ dtype: x.dtype, dims: x.dims.map((v, i) => (i === a ? s : v)) }));
};

const pad: ShapeRule = (n, c) => {
  const x = c.input(0);
  const r = x.dims.length;
  const pads = attrInts(n, 'pads') ?? need(constInts(n, 1, c), n, 'pads');
  const ax = optional(n, 3, c)?.map((a) => normAxis(a, r)) ?? x.dims.map((_, i) => i);
  const dims = [...x.dims];
  ax.forEach((a, i) => { dims[a] = dims[a]! + pads[i]! + pads[i + ax.length]!; });
  return withDims(c, dims);
};

const resize: ShapeRule = (n, c) => {
  const x = c.input(0);
  const sizes = c.opset >= 11 ? optional(n, 3, c) : undefined;
  const scales = optional(n, c.opset >= 11 ? 2 : 1, c);
  const axes = attrInts(n, 'axes')?.map((a) => normAxis(a, x.dims.length)) ?? x.dims.map((_, i) => i);
  const dims = [...x.dims];
  axes.forEach((a, i) => {
    if (sizes) dims[a] = sizes[i]!;
    else if (scales) dims[a] = Math.floor(x.dims[a]! * scales[i]!);
    else throw new Error(`node "${n.name}" (Resize): needs constant scales or sizes`);
  });
  return withDims(c, dims);
};

const matmul: ShapeRule = (_n, c) => {
  const a = c.input(0).dims;
  const b = c.input(1).dims;
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) throw new RangeError(`MatMul: [${a.join(',')}] x [${b.join(',')}]`);
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const dims = [...batch, ...(a.length === 1 ? [] : [a2[a2.length - 2]!]), ...(b.length === 1 ? [] : [b2[b2.length - 1]!])];
  return withDims(c, dims);
};

export const tensorRules: Record<string, ShapeRule> = {
  Reshape: (n, c) => {
    const shape = attrInts(n, 'shape') ?? need(constInts(n, 1, c), n, 'shape');
    return withDims(c, reshapeDims(c.input(0).dims, shape, attrInt(n, 'allowzero', 0) === 1));
  },
  Flatten: (n, c) => {
    const x = c.input(0).dims;
    const raw = attrInt(n, 'axis', 1);
    const a = raw < 0 ? raw + x.length : raw;
    return withDims(c, [sizeOf(x.slice(0, a)), sizeOf(x.slice(a))]);
  },
  Transpose: (n, c) => {
    const x = c.input(0).dims;
    const perm = attrInts(n, 'perm') ?? x.map((_, i) => x.length - 1 - i);
    return withDims(c, perm.map((p) => x[p]!));
  },
  Concat: (n, c) => {
    const ins = n.inputs.map((_, i) => c.input(i).dims);
    const a = normAxis(attrInt(n, 'axis', 0), ins[0]!.length);
    const dims = [...ins[0]!];
    dims[a] = ins.reduce((s, d) => s + d[a]!, 0);
    return withDims(c, dims);
  },
  Split: split,
  Slice: (n, c) => {
    const starts = attrInts(n, 'starts') ?? need(constInts(n, 1, c), n, 'starts');
    const ends = attrInts(n, 'ends') ?? need(constInts(n, 2, c), n, 'ends');
    const axes = attrInts(n, 'axes') ?? optional(n, 3, c);
    const steps = optional(n, 4, c);
    return withDims(c, sliceRanges(c.input(0).dims, { starts, ends, axes, steps }).map((r) => r[2]));
  },
  Squeeze: (n, c) => withDims(c, squeezeDims(c.input(0).dims, attrInts(n, 'axes') ?? optional(n, 1, c))),
  Unsqueeze: (n, c) => withDims(c, unsqueezeDims(c.input(0).dims, need(axesOf(n, 1, c), n, 'axes'))),
  Pad: pad,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceL2: reduce,
  ReduceSumSquare: reduce,
  ArgMax: (n, c) => [{ dtype: 'int64', dims: reduce({ ...n, attrs: { ...n.attrs, axes: { type: 'ints', value: [attrInt(n, 'axis', 0)] } } }, c)[0]!.dims }],
  TopK: (n, c) => {
    const x = c.input(0);
    const dims = [...x.dims];
    dims[normAxis(attrInt(n, 'axis', -1), dims.length)] = need(constInts(n, 1, c), n, 'K')[0]!;
    return [{ dtype: x.dtype, dims }, { dtype: 'int64', dims: [...dims] }];
  },
  Shape: (n, c) => [{ dtype: 'int64', dims: [...need(evalNode(n, c), n, 'input shape')[0]!.dims] }],
  Constant: (n, c) => {
    const t = need(evalNode(n, c), n, 'value')[0]!;
    return [{ dtype: t.dtype, dims: [...t.dims] }];
  },
  Gather: (n, c) => {
    const x = c.input(0).dims;
    const a = normAxis(attrInt(n, 'axis', 0), x.length);
    return withDims(c, [...x.slice(0, a), ...c.input(1).dims, ...x.slice(a + 1)]);
  },
  Resize: resize,
  Range: (n, c) => [{ dtype: c.input(0).dtype, dims: [...need(evalNode(n, c), n, 'start, limit and delta')[0]!.dims] }],
  // Opset 7 takes the scales as an attribute, 9 as input 1.
  Upsample: (n, c) => {
    const x = c.input(0);
    const a = n.attrs.scales;
    const scales = a?.type === 'floats' ? a.value : need(constInts(n, 1, c), n, 'scales');
    return withDims(c, x.dims.map((d, i) => Math.floor(d * scales[i]!)));
  },
  LayerNormalization: (n, c) => {
    const x = c.input(0);
    const axis = normAxis(attrInt(n, 'axis', -1), x.dims.length);
    const stats = { dtype: 'float32' as const, dims: x.dims.map((d, i) => (i < axis ? d : 1)) };
    return [{ dtype: x.dtype, dims: [...x.dims] }, stats, stats];
  },
  Expand: (n, c) => withDims(c, broadcastShapes([c.input(0).dims, need(constInts(n, 1, c), n, 'shape')])),
  Tile: (n, c) => {
    const reps = need(constInts(n, 1, c), n, 'repeats');
    return withDims(c, c.input(0).dims.map((d, i) => d * reps[i]!));
  },
  Gemm: (n, c) => {
    const a = c.input(0).dims;
    const b = c.input(1).dims;
    const m = attrInt(n, 'transA', 0) ? a[1]! : a[0]!;
    const nn = attrInt(n, 'transB', 0) ? b[0]! : b[1]!;
    return withDims(c, [m, nn]);
  },
  MatMul: matmul,
};
