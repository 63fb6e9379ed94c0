/** Perturbation baselines in [0,1] pixel space, CHW. */

function gaussianKernel(sigma: number, truncate: number): Float32Array {
  const r = Math.max(1, Math.ceil(truncate * sigma));
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / s);
}

export interface BlurOptions {
  /** Kernel half-width in σ (3 by default; TorchRay's `imsmooth` uses 4). */
  truncate?: number;
  /** Pad with this value per channel instead of replicating the edge (TorchRay pads with 0 in the model's normalised space). */
  fill?: ArrayLike<number>;
}

/**
 * Separable Gaussian blur, edges replicated unless a constant `fill` is given. Rows are padded once
 * and the vertical pass accumulates whole rows, so the inner loops have no bounds clamps (it is on
 * every NeuroMask start-up); each output sums its taps in the same order as the direct formula.
 */
export function gaussianBlur(pixels: Float32Array, c: number, h: number, w: number, sigma: number, opts: BlurOptions = {}): Float32Array {
  if (sigma <= 0) return pixels.slice();
  const k = gaussianKernel(sigma, opts.truncate ?? 3);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(pixels.length);
  const out = new Float32Array(pixels.length);
  const padded = new Float64Array(w + 2 * r);
  const acc = new Float64Array(w);
  for (let ch = 0; ch < c; ch++) {
    const o = ch * h * w;
    const fill = opts.fill?.[ch] ?? opts.fill?.[0];
    for (let y = 0; y < h; y++) {
      const row = o + y * w;
      for (let x = -r; x < w + r; x++) padded[x + r] = fill !== undefined && (x < 0 || x >= w) ? fill : pixels[row + Math.min(w - 1, Math.max(0, x))]!;
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = 0; i < k.length; i++) s += k[i]! * padded[x + i]!;
        tmp[row + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      acc.fill(0);
      for (let i = -r; i <= r; i++) {
        const kv = k[i + r]!;
        const yi = y + i;
        if (fill !== undefined && (yi < 0 || yi >= h)) {
          for (let x = 0; x < w; x++) acc[x] = acc[x]! + kv * fill;
          continue;
        }
        const src = o + Math.min(h - 1, Math.max(0, yi)) * w;
        for (let x = 0; x < w; x++) acc[x] = acc[x]! + kv * tmp[src + x]!;
      }
      out.set(acc, o + y * w);
    }
  }
  return out;
}

export function meanColour(pixels: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(pixels.length);
  const n = h * w;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += pixels[ch * n + i]!;
    out.fill(s / n, ch * n, (ch + 1) * n);
  }
  return out;
}

export function makeBaseline(kind: 'black' | 'blur' | 'mean', pixels: Float32Array, c: number, h: number, w: number, sigma: number): Float32Array {
  if (kind === 'black') return new Float32Array(pixels.length);
  if (kind === 'mean') return meanColour(pixels, c, h, w);
  return gaussianBlur(pixels, c, h, w, sigma);
}
