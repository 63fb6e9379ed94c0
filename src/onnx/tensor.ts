import type { DType, Tensor, TypedData } from './types.js';

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

export function emptyData(dtype: DType, n: number): TypedData {
  return new CTORS[dtype](n);
}

export function tensor(dtype: DType, dims: readonly number[], data: TypedData): Tensor {
  if (data.length !== sizeOf(dims)) {
    throw new RangeError(`tensor data has ${data.length} elements, dims [${dims.join(',')}] need ${sizeOf(dims)}`);
  }
  return { dtype, dims: [...dims], data };
}

export function floatTensor(dims: readonly number[], values: ArrayLike<number>): Tensor {
  return tensor('float32', dims, Float32Array.from(values));
}

export function int64Tensor(dims: readonly number[], values: readonly number[]): Tensor {
  return tensor('int64', dims, BigInt64Array.from(values, (v) => BigInt(v)));
}

export function scalarFloat(v: number): Tensor {
  return floatTensor([], [v]);
}

/** Any tensor's elements as plain numbers (int64 converted; safe for shapes and indices). */
export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** A float32 copy of a numeric tensor. */
export function toFloat32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(toNumbers(t));
}
