import { ModelFormatError } from '../errors/model-format-error.js';
import type { Tensor } from '../onnx/types.js';
import type { TfjsArtifacts, WeightSpec } from './types.js';

/** IEEE half → float (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function bytesPerElement(w: WeightSpec, source: string): number {
  if (w.quantization) return w.quantization.dtype === 'uint8' ? 1 : 2;
  if (w.dtype === 'float32' || w.dtype === 'int32') return 4;
  if (w.dtype === 'bool') return 1;
  // Strings are variable-length and complex numbers have no place in a classifier's weights.
  throw new ModelFormatError(`weight '${w.name}' has dtype ${w.dtype}, which neuromask cannot import`, { source });
}

function decodeOne(w: WeightSpec, bytes: Uint8Array, source: string): Tensor {
  const n = count(w.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = w.quantization;
  if (q) {
    const out = w.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    } else {
      if (q.min === undefined || q.scale === undefined) throw new ModelFormatError(`weight '${w.name}' is ${q.dtype}-quantized without min/scale`, { source });
      for (let i = 0; i < n; i++) {
        const v = q.dtype === 'uint8' ? bytes[i]! : view.getUint16(2 * i, true);
        out[i] = w.dtype === 'int32' ? Math.round(v * q.scale + q.min) : v * q.scale + q.min;
      }
    }
    return { dtype: w.dtype === 'int32' ? 'int32' : 'float32', dims: w.shape, data: out };
  }
  if (w.dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return { dtype: 'float32', dims: w.shape, data: out };
  }
  if (w.dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
    return { dtype: 'int32', dims: w.shape, data: out };
  }
  return { dtype: 'bool', dims: w.shape, data: Uint8Array.from(bytes.subarray(0, n)) };
}

/** Every weight of the manifest by name, dequantized to float32 (int32 and bool kept). */
export function decodeWeights(a: TfjsArtifacts): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  let offset = 0;
  for (const w of a.json.weightsManifest.flatMap((g) => g.weights)) {
    const size = count(w.shape) * bytesPerElement(w, a.source);
    if (offset + size > a.weightData.byteLength) {
      throw new ModelFormatError(`weight data ends at byte ${a.weightData.byteLength} but '${w.name}' needs bytes ${offset}..${offset + size}: a shard is missing or truncated`, { source: a.source });
    }
    out.set(w.name, decodeOne(w, a.weightData.subarray(offset, offset + size), a.source));
    offset += size;
  }
  return out;
}
