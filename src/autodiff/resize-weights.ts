/** One axis of an ONNX Resize as a dense [out, in] interpolation matrix (nearest or linear). */
export interface ResizeAxis {
  inLen: number;
  outLen: number;
  /** out/in as the node states it (its `scales`), or outLen/inLen when it gives `sizes`. */
  scale: number;
  mode: string;
  transform: string;
  nearestMode: string;
}

/** Where output coordinate `x` samples the input, per coordinate_transformation_mode. */
function sourceCoord(x: number, a: ResizeAxis): number {
  switch (a.transform) {
    case 'half_pixel': return (x + 0.5) / a.scale - 0.5;
    case 'pytorch_half_pixel': return a.outLen > 1 ? (x + 0.5) / a.scale - 0.5 : 0;
    case 'align_corners': return a.outLen === 1 ? 0 : (x * (a.inLen - 1)) / (a.outLen - 1);
    case 'asymmetric': return x / a.scale;
    case 'tf_half_pixel_for_nn': return (x + 0.5) / a.scale;
    default: throw new Error(`coordinate_transformation_mode '${a.transform}' is not supported`);
  }
}

function nearestIndex(c: number, mode: string): number {
  const frac = c - Math.floor(c);
  switch (mode) {
    case 'round_prefer_floor': return frac === 0.5 ? Math.floor(c) : Math.round(c);
    case 'round_prefer_ceil': return frac === 0.5 ? Math.ceil(c) : Math.round(c);
    case 'floor': return Math.floor(c);
    case 'ceil': return Math.ceil(c);
    default: throw new Error(`nearest_mode '${mode}' is not supported`);
  }
}

/** Row-major [outLen, inLen] weights: output i = Σ_j w[i, j]·input j along this axis. */
export function resizeMatrix(a: ResizeAxis): Float32Array {
  const w = new Float32Array(a.outLen * a.inLen);
  const clamp = (v: number): number => Math.min(Math.max(v, 0), a.inLen - 1);
  for (let i = 0; i < a.outLen; i++) {
    const c = sourceCoord(i, a);
    if (a.mode === 'nearest') {
      w[i * a.inLen + clamp(nearestIndex(c, a.nearestMode))] = 1;
    } else if (a.mode === 'linear') {
      const cc = clamp(c);
      const i0 = Math.floor(cc);
      const i1 = Math.min(i0 + 1, a.inLen - 1);
      const t = cc - i0;
      w[i * a.inLen + i0]! += 1 - t;
      w[i * a.inLen + i1]! += t;
    } else {
      throw new Error(`mode '${a.mode}' is not supported`);
    }
  }
  return w;
}
