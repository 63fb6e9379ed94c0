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

/** Separable Gaussian blur, edges replicated unless a constant `fill` is given. */
export function gaussianBlur(pixels: Float32Array, c: number, h: number, w: number, sigma: number, opts: BlurOptions = {}): Float32Array {
  if (sigma <= 0) return pixels.slice();
  const k = gaussianKernel(sigma, opts.truncate ?? 3);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(pixels.length);
  const out = new Float32Array(pixels.length);
  for (let ch = 0; ch < c; ch++) {
    const o = ch * h * w;
    const pad = opts.fill?.[ch] ?? opts.fill?.[0];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const xi = x + i;
          s += k[i + r]! * (pad !== undefined && (xi < 0 || xi >= w) ? pad : pixels[o + y * w + Math.min(w - 1, Math.max(0, xi))]!);
        }
        tmp[o + y * w + x] = s;
      }
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const yi = y + i;
          s += k[i + r]! * (pad !== undefined && (yi < 0 || yi >= h) ? pad : tmp[o + Math.min(h - 1, Math.max(0, yi)) * w + x]!);
        }
        out[o + y * w + x] = s;
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
