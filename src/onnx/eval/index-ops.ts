import { attrInt, attrInts } from '../attrs.js';
import { sizeOf, toNumbers } from '../tensor.js';
import type { Node, Tensor } from '../types.js';
import { broadcastIndexer, broadcastShapes, elementwise, fromNumbers, stridesOf } from './ndarray.js';

/**
 * Ops that appear in the index arithmetic torch traces for attention windows and masks (Swin:
 * Range, Mod, ScatterND, Expand, Not, Transpose): evaluated so constant folding can remove them.
 */
export const INDEX_OPS = new Set(['Range', 'Mod', 'Pow', 'Expand', 'Not', 'Transpose', 'ScatterND']);

function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const outDims = perm.map((p) => x.dims[p]!);
  const inStrides = stridesOf(x.dims);
  const outStrides = stridesOf(outDims);
  const vals = toNumbers(x);
  const out = new Array<number>(vals.length);
  for (let k = 0; k < out.length; k++) {
    let idx = 0;
    for (let a = 0; a < perm.length; a++) idx += (Math.floor(k / outStrides[a]!) % outDims[a]!) * inStrides[perm[a]!]!;
    out[k] = vals[idx]!;
  }
  return fromNumbers(x.dtype, outDims, out);
}

function scatterND(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  const out = toNumbers(data);
  const k = indices.dims[indices.dims.length - 1]!;
  const chunk = sizeOf(data.dims.slice(k));
  const strides = stridesOf(data.dims);
  const idx = toNumbers(indices);
  const upd = toNumbers(updates);
  for (let t = 0; t < idx.length / k; t++) {
    let base = 0;
    for (let j = 0; j < k; j++) {
      const i = idx[t * k + j]!;
      base += (i < 0 ? i + data.dims[j]! : i) * strides[j]!;
    }
    for (let c = 0; c < chunk; c++) out[base + c] = upd[t * chunk + c]!;
  }
  return fromNumbers(data.dtype, data.dims, out);
}

/** Evaluate one of INDEX_OPS on constant inputs `ins` (absent optional inputs undefined). */
export function evalIndexOp(n: Node, ins: readonly (Tensor | undefined)[]): Tensor | undefined {
  const [x, y, z] = ins as [Tensor, Tensor | undefined, Tensor | undefined];
  switch (n.opType) {
    case 'Range': {
      const [start, limit, delta] = [x, y!, z!].map((t) => toNumbers(t)[0]!) as [number, number, number];
      const count = Math.max(Math.ceil((limit - start) / delta), 0);
      return fromNumbers(x.dtype, [count], Array.from({ length: count }, (_, i) => start + i * delta));
    }
    case 'Mod': {
      const fmod = attrInt(n, 'fmod', 0) === 1;
      return elementwise([x, y!], x.dtype, fmod ? (a, b) => a % b : (a, b) => a - b * Math.floor(a / b));
    }
    case 'Pow': return elementwise([x, y!], x.dtype, Math.pow);
    case 'Not': return elementwise([x], 'bool', (a) => (a ? 0 : 1));
    case 'Expand': {
      const dims = broadcastShapes([x.dims, toNumbers(y!)]);
      if (sizeOf(dims) > 1 << 20) return undefined;
      const at = broadcastIndexer(x.dims, dims);
      const vals = toNumbers(x);
      return fromNumbers(x.dtype, dims, Array.from({ length: sizeOf(dims) }, (_, k) => vals[at(k)]!));
    }
    case 'Transpose': return transpose(x, attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i));
    case 'ScatterND':
      if ((n.attrs.reduction?.type === 'string' && n.attrs.reduction.value !== 'none')) return undefined;
      return scatterND(x, y!, z!);
  }
  return undefined;
}
