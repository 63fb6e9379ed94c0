import { z } from 'zod';
import { rng } from '../util/random.js';
import { toProbabilities } from '../util/softmax.js';
import { defineMethod } from './method.js';
import { bilinearMatrix } from './neuromask/parameterization.js';
import { stopPoint } from '../util/stop-point.js';

export const RiseOptionsSchema = z
  .object({
    /** Number of random masks N (the paper used 4000–8000 for ResNet50; 2000 keeps it practical). */
    masks: z.number().int().positive().default(2000),
    /** The binary grid is cells×cells before upsampling (the paper's s = 7 on ImageNet). */
    cells: z.number().int().positive().default(7),
    /** Probability p that a grid cell is kept (the paper's 0.5). */
    probability: z.number().gt(0).lt(1).default(0.5),
    /** Masked images per forward pass. */
    batchSize: z.number().int().positive().default(32),
  })
  .strict();

/** For each output position: the two grid samples bilinear interpolation mixes, and their weights. */
function taps(size: number, n: number): { lo: Int32Array; hi: Int32Array; t: Float32Array } {
  const m = bilinearMatrix(size, n);
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const t = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const row = m.subarray(i * n, (i + 1) * n);
    const first = row.findIndex((v) => v !== 0);
    const second = row.findIndex((v, j) => v !== 0 && j > first);
    lo[i] = first;
    hi[i] = second < 0 ? first : second;
    t[i] = second < 0 ? 0 : row[second]!;
  }
  return { lo, hi, t };
}

/**
 * RISE's masks (Petsiuk et al. 2018), one per call, reproducible from `seed`: a (cells+1)² grid of
 * Bernoulli(p) cells, upsampled bilinearly to (cells+1)·⌈H/cells⌉ and cropped to H×W at a random
 * offset of less than one cell, so cell borders do not sit at the same pixels in every mask.
 */
export function riseMaskSampler(height: number, width: number, cells: number, p: number, seed: number): () => Float32Array {
  const r = rng(seed);
  const g = cells + 1;
  const cellH = Math.ceil(height / cells);
  const cellW = Math.ceil(width / cells);
  const rows = taps(g * cellH, g);
  const cols = taps(g * cellW, g);
  const grid = new Float32Array(g * g);
  const tmp = new Float32Array(height * g);
  return () => {
    for (let i = 0; i < grid.length; i++) grid[i] = r() < p ? 1 : 0;
    const dy = Math.floor(r() * cellH);
    const dx = Math.floor(r() * cellW);
    for (let y = 0; y < height; y++) {
      const lo = rows.lo[y + dy]!;
      const hi = rows.hi[y + dy]!;
      const t = rows.t[y + dy]!;
      for (let b = 0; b < g; b++) tmp[y * g + b] = (1 - t) * grid[lo * g + b]! + t * grid[hi * g + b]!;
    }
    const mask = new Float32Array(height * width);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const t = cols.t[x + dx]!;
        mask[y * width + x] = (1 - t) * tmp[y * g + cols.lo[x + dx]!]! + t * tmp[y * g + cols.hi[x + dx]!]!;
      }
    return mask;
  };
}

/** RISE: saliency = Σᵢ P(target | x⊙Mᵢ)·Mᵢ / (N·p), an estimate of E[P | pixel kept]. */
export const riseMethod = defineMethod({
  name: 'rise',
  description: 'RISE (Petsiuk et al. 2018): random masks weighted by the target probability',
  options: RiseOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    const { engine } = ctx;
    const c = engine.classifier;
    const [H, W] = c.spec.inputSize;
    const C = engine.channels;
    const K = c.numClasses;
    const N = options.masks;
    const next = riseMaskSampler(H, W, options.cells, options.probability, ctx.seed);
    // One batch size throughout (the last batch padded) so a single session serves every pass.
    const n = Math.min(options.batchSize, N);
    const batch = new Float32Array(n * C * H * W);
    const masks: Float32Array[] = [];
    const saliency = new Float64Array(H * W);
    for (let start = 0; start < N; start += n) {
      await stopPoint(ctx.signal);
      const count = Math.min(n, N - start);
      for (let k = 0; k < count; k++) {
        const m = (masks[k] = next());
        for (let ch = 0; ch < C; ch++) {
          const o = k * C * H * W + ch * H * W;
          for (let i = 0; i < H * W; i++) batch[o + i] = image.pixels[ch * H * W + i]! * m[i]!;
        }
      }
      const out = await engine.forward(batch, n);
      for (let k = 0; k < count; k++) {
        const p = toProbabilities(out.subarray(k * K, (k + 1) * K), c.outputKind)[target]!;
        const m = masks[k]!;
        for (let i = 0; i < H * W; i++) saliency[i]! += p * m[i]!;
      }
      ctx.onProgress?.(start + count, N);
    }
    const scale = 1 / (N * options.probability);
    return {
      method: 'rise',
      map: Float32Array.from(saliency, (s) => s * scale),
      height: H,
      width: W,
      target: { index: target, label: c.labels?.[target] },
      cost: { forwardPasses: N, backwardPasses: 0, seconds: (performance.now() - t0) / 1000 },
      options,
    };
  },
});
