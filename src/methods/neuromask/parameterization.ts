import type { GraphBuilder } from '../../onnx/builder.js';
import { permute } from '../../util/permute.js';

/**
 * Bilinear interpolation weights (align_corners=false, as PyTorch/TF resize) from `n` to `size`
 * samples, as a [size, n] matrix, so upsampling is two MatMuls the autodiff already handles.
 */
export function bilinearMatrix(size: number, n: number): Float32Array {
  const m = new Float32Array(size * n);
  const scale = n / size;
  for (let i = 0; i < size; i++) {
    const src = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), n - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, n - 1);
    const t = src - lo;
    m[i * n + lo] = m[i * n + lo]! + (1 - t);
    m[i * n + hi] = m[i * n + hi]! + t;
  }
  return m;
}

/** Mask-parameter grid size for an input of `size` pixels at a downscale factor. */
export function paramSize(size: number, scale: number): number {
  return Math.max(1, Math.ceil(size / scale));
}

/**
 * m = upsample(sigmoid(w / T)) as graph nodes; returns the name of the [N,1,H,W] mask.
 * `w` is [N,1,h,w]; when h,w equal H,W no resampling is added (the reference parameterisation).
 */
export function maskFromLogits(b: GraphBuilder, w: string, temperature: number, param: [number, number], full: [number, number]): string {
  const scaled = temperature === 1 ? w : b.add('Mul', [w, b.scalar(1 / temperature, 'inv_temperature')]);
  const m = b.add('Sigmoid', [scaled]);
  if (param[0] === full[0] && param[1] === full[1]) return m;
  const uh = b.floats([full[0], param[0]], bilinearMatrix(full[0], param[0]), 'upsample_rows');
  const uwT = permute(bilinearMatrix(full[1], param[1]), [full[1], param[1]], [1, 0]).data;
  const rows = b.add('MatMul', [uh, m]);
  return b.add('MatMul', [rows, b.floats([param[1], full[1]], uwT, 'upsample_cols')]);
}

/** The same mask computed in TypeScript (for outputs and history), from logits [h*w]. */
export function maskFromLogitsHost(w: Float32Array, temperature: number, param: [number, number], full: [number, number]): Float32Array {
  const m = w.map((v) => 1 / (1 + Math.exp(-v / temperature)));
  if (param[0] === full[0] && param[1] === full[1]) return m;
  const uh = bilinearMatrix(full[0], param[0]);
  const uw = bilinearMatrix(full[1], param[1]);
  const out = new Float32Array(full[0] * full[1]);
  const tmp = new Float32Array(full[0] * param[1]);
  for (let i = 0; i < full[0]; i++)
    for (let k = 0; k < param[0]; k++) {
      const a = uh[i * param[0] + k]!;
      if (a === 0) continue;
      for (let j = 0; j < param[1]; j++) tmp[i * param[1] + j] = tmp[i * param[1] + j]! + a * m[k * param[1] + j]!;
    }
  for (let i = 0; i < full[0]; i++)
    for (let j = 0; j < full[1]; j++) {
      let s = 0;
      for (let k = 0; k < param[1]; k++) s += tmp[i * param[1] + k]! * uw[j * param[1] + k]!;
      out[i * full[1] + j] = s;
    }
  return out;
}
