import { sizeOf, toNumbers } from '../tensor.js';
import type { Tensor } from '../types.js';
import { normAxis } from './ndarray.js';

/** Representable integer range of a quantized element type. */
export function qRange(t: Tensor | undefined): [number, number] {
  if (!t || t.dtype === 'uint8') return [0, 255];
  if (t.dtype === 'int8') return [-128, 127];
  if (t.dtype === 'int32') return [-2147483648, 2147483647];
  throw new Error(`unsupported quantized type ${t.dtype}`);
}

/**
 * (q - zp) * scale in float32. A scalar scale is per tensor; a 1-D scale runs along `axis`
 * (DequantizeLinear's default is 1, QLinearConv weights use 0, QLinearMatMul's B the last axis).
 */
export function dequantizeValues(q: Tensor, scale: Tensor, zp: Tensor | undefined, axis: number): Float32Array {
  const qs = toNumbers(q);
  const ss = toNumbers(scale);
  const zs = zp ? toNumbers(zp) : [0];
  const out = new Float32Array(qs.length);
  if (ss.length === 1) {
    const s = ss[0]!;
    const z = zs[0] ?? 0;
    for (let i = 0; i < qs.length; i++) out[i] = (qs[i]! - z) * s;
    return out;
  }
  const a = normAxis(axis, q.dims.length, 'quantization axis');
  const n = q.dims[a]!;
  if (ss.length !== n) throw new RangeError(`scale has ${ss.length} values, axis ${a} has ${n}`);
  const inner = sizeOf(q.dims.slice(a + 1));
  for (let i = 0; i < qs.length; i++) {
    const c = Math.floor(i / inner) % n;
    out[i] = (qs[i]! - (zs.length === 1 ? zs[0]! : zs[c]!)) * ss[c]!;
  }
  return out;
}
