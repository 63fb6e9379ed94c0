import type { Graph, ValueInfo } from '../types.js';

function fixFirst(v: ValueInfo, n: number): ValueInfo {
  const [first, ...rest] = v.shape;
  return first !== undefined && typeof first !== 'number' ? { ...v, shape: [n, ...rest] } : v;
}

/** Set the symbolic batch (first) dim of every graph input and output to `n`. */
export function withBatch(g: Graph, n: number): Graph {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`batch must be a positive integer, got ${n}`);
  return { ...g, inputs: g.inputs.map((v) => fixFirst(v, n)), outputs: g.outputs.map((v) => fixFirst(v, n)) };
}

/** Give input `name`'s symbolic dims the values in `dims` (same rank), e.g. a dynamic height and width the image size. */
export function withInputShape(g: Graph, name: string, dims: readonly number[]): Graph {
  const fix = (v: ValueInfo): ValueInfo =>
    v.name === name && v.shape.length === dims.length ? { ...v, shape: v.shape.map((d, i) => (typeof d === 'number' ? d : dims[i]!)) } : v;
  return { ...g, inputs: g.inputs.map(fix) };
}
