import { sizeOf, tensor, toNumbers } from '../tensor.js';
import type { DType, Tensor, TypedData } from '../types.js';

/** Small-tensor helpers on plain numbers; meant for shape computations and constant folding. */

export function fromNumbers(dtype: DType, dims: readonly number[], values: ArrayLike<number>): Tensor {
  const n = values.length;
  let data: TypedData;
  switch (dtype) {
    case 'float32': data = Float32Array.from(values); break;
    case 'float64': data = Float64Array.from(values); break;
    case 'int64': data = BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(values[i]!))); break;
    case 'int32': data = Int32Array.from(values, Math.trunc); break;
    case 'int8': data = Int8Array.from(values, Math.trunc); break;
    case 'uint8': data = Uint8Array.from(values, Math.trunc); break;
    case 'bool': data = Uint8Array.from(values, (v) => (v ? 1 : 0)); break;
  }
  return tensor(dtype, dims, data);
}

export function normAxis(axis: number, rank: number, where = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`${where} ${axis} out of range for rank ${rank}`);
  return a;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Numpy-style broadcast of several shapes. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] !== 1) throw new RangeError(`shapes [${shapes.map((x) => x.join(',')).join('] [')}] do not broadcast`);
      out[o] = d;
    }
  }
  return out;
}

/** For each output position, the flat index into an input of `dims` broadcast to `outDims`. */
export function broadcastIndexer(dims: readonly number[], outDims: readonly number[]): (flat: number) => number {
  const rank = outDims.length;
  const inStrides = stridesOf(dims);
  const outStrides = stridesOf(outDims);
  return (flat) => {
    let idx = 0;
    for (let o = 0; o < rank; o++) {
      const c = Math.floor(flat / outStrides[o]!) % outDims[o]!;
      const i = o - (rank - dims.length);
      if (i >= 0 && dims[i] !== 1) idx += c * inStrides[i]!;
    }
    return idx;
  };
}

export function elementwise(inputs: readonly Tensor[], dtype: DType, f: (...v: number[]) => number): Tensor {
  const outDims = broadcastShapes(inputs.map((t) => t.dims));
  const vals = inputs.map(toNumbers);
  const idx = inputs.map((t) => broadcastIndexer(t.dims, outDims));
  const out = new Array<number>(sizeOf(outDims));
  for (let k = 0; k < out.length; k++) out[k] = f(...vals.map((v, j) => v[idx[j]!(k)]!));
  return fromNumbers(dtype, outDims, out);
}

export function gather(data: Tensor, indices: Tensor, axis: number): Tensor {
  const a = normAxis(axis, data.dims.length);
  const vals = toNumbers(data);
  const ind = toNumbers(indices).map((i) => (i < 0 ? i + data.dims[a]! : i));
  const outer = sizeOf(data.dims.slice(0, a));
  const inner = sizeOf(data.dims.slice(a + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of ind) {
      const base = (o * data.dims[a]! + i) * inner;
      for (let k = 0; k < inner; k++) out.push(vals[base + k]!);
    }
  }
  return fromNumbers(data.dtype, [...data.dims.slice(0, a), ...indices.dims, ...data.dims.slice(a + 1)], out);
}

export function concat(ts: readonly Tensor[], axis: number): Tensor {
  const first = ts[0]!;
  const a = normAxis(axis, first.dims.length);
  const outer = sizeOf(first.dims.slice(0, a));
  const vals = ts.map(toNumbers);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    ts.forEach((t, j) => {
      const chunk = sizeOf(t.dims.slice(a));
      for (let k = 0; k < chunk; k++) out.push(vals[j]![o * chunk + k]!);
    });
  }
  const dims = [...first.dims];
  dims[a] = ts.reduce((s, t) => s + t.dims[a]!, 0);
  return fromNumbers(first.dtype, dims, out);
}

export interface SliceSpec { starts: number[]; ends: number[]; axes?: number[] | undefined; steps?: number[] | undefined }

/** Per-axis [start, step, count] after ONNX Slice clamping rules. */
export function sliceRanges(dims: readonly number[], spec: SliceSpec): [number, number, number][] {
  const r: [number, number, number][] = dims.map((d) => [0, 1, d]);
  const axes = spec.axes ?? spec.starts.map((_, i) => i);
  axes.forEach((ax, i) => {
    const a = normAxis(ax, dims.length, 'slice axis');
    const d = dims[a]!;
    const step = spec.steps?.[i] ?? 1;
    let s = spec.starts[i]!;
    let e = spec.ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const count = Math.max(0, Math.ceil((e - s) / step));
    r[a] = [s, step, count];
  });
  return r;
}

export function slice(data: Tensor, spec: SliceSpec): Tensor {
  const ranges = sliceRanges(data.dims, spec);
  const outDims = ranges.map((x) => x[2]);
  const vals = toNumbers(data);
  const inStrides = stridesOf(data.dims);
  const outStrides = stridesOf(outDims);
  const out = new Array<number>(sizeOf(outDims));
  for (let k = 0; k < out.length; k++) {
    let idx = 0;
    ranges.forEach(([s, step], a) => {
      const c = Math.floor(k / outStrides[a]!) % outDims[a]!;
      idx += (s + c * step) * inStrides[a]!;
    });
    out[k] = vals[idx]!;
  }
  return fromNumbers(data.dtype, outDims, out);
}

export function reshaped(t: Tensor, dims: readonly number[]): Tensor {
  return tensor(t.dtype, dims, t.data);
}

/** ONNX Reshape target dims: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(inDims: readonly number[], shape: readonly number[], allowzero: boolean): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowzero ? inDims[i]! : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const known = out.reduce((p, d, i) => (i === minus ? p : p * d), 1);
    out[minus] = known === 0 ? 0 : sizeOf(inDims) / known;
  }
  if (sizeOf(out) !== sizeOf(inDims) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`cannot reshape [${inDims.join(',')}] to [${shape.join(',')}]`);
  }
  return out;
}

export function unsqueezeDims(dims: readonly number[], axes: readonly number[]): number[] {
  const rank = dims.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, rank, 'unsqueeze axis')));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : dims[j++]!);
  return out;
}

export function squeezeDims(dims: readonly number[], axes: readonly number[] | undefined): number[] {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const set = new Set(axes.map((a) => normAxis(a, dims.length, 'squeeze axis')));
  for (const a of set) if (dims[a] !== 1) throw new RangeError(`cannot squeeze axis ${a} of size ${dims[a]}`);
  return dims.filter((_, i) => !set.has(i));
}
