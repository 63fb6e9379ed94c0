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

/** Index into a row of n cells of cell j of that row reflected by one cell on each side (PyTorch's `reflect` pad of 1). */
const reflect = (j: number, n: number): number => (n === 1 ? 0 : j === 0 ? 1 : j === n + 1 ? n - 2 : j - 1);

/**
 * One axis of TorchRay's RISE mask: the cells grid reflected by one cell each side, upsampled
 * bilinearly (align_corners false) to c·(cells+2) samples with c = ⌈(size + ⌈size/cells⌉)/cells⌉,
 * from which sample c + shift + i lands on pixel i; the shift is below ⌈size/cells⌉.
 */
function riseAxis(size: number, cells: number): { lo: Int32Array; hi: Int32Array; t: Float32Array; origin: number } {
  const cell = Math.ceil(size / cells);
  const c = Math.ceil((size + cell) / cells);
  const tp = taps(c * (cells + 2), cells + 2);
  return { lo: tp.lo.map((j) => reflect(j, cells)), hi: tp.hi.map((j) => reflect(j, cells)), t: tp.t, origin: c };
}

/**
 * TorchRay's RISE mask for one `cells`×`cells` grid of 0/1 (row-major) and a shift of `dy` rows
 * and `dx` columns (each below ⌈size/cells⌉): see {@link riseAxis}. The same as its `rise` builds.
 */
export function riseMask(grid: ArrayLike<number>, height: number, width: number, cells: number, dy: number, dx: number): Float32Array {
  return riseMasker(height, width, cells)(grid, dy, dx);
}

function riseMasker(height: number, width: number, cells: number): (grid: ArrayLike<number>, dy: number, dx: number) => Float32Array {
  const rows = riseAxis(height, cells);
  const cols = riseAxis(width, cells);
  const tmp = new Float32Array(height * cells);
  return (grid, dy, dx) => {
    for (let y = 0; y < height; y++) {
      const u = rows.origin + dy + y;
      const [lo, hi, t] = [rows.lo[u]!, rows.hi[u]!, rows.t[u]!];
      for (let b = 0; b < cells; b++) tmp[y * cells + b] = (1 - t) * grid[lo * cells + b]! + t * grid[hi * cells + b]!;
    }
    const mask = new Float32Array(height * width);
    for (let x = 0; x < width; x++) {
      const u = cols.origin + dx + x;
      const [lo, hi, t] = [cols.lo[u]!, cols.hi[u]!, cols.t[u]!];
      for (let y = 0; y < height; y++) mask[y * width + x] = (1 - t) * tmp[y * cells + lo]! + t * tmp[y * cells + hi]!;
    }
    return mask;
  };
}

/**
 * RISE's masks (Petsiuk et al. 2018) as TorchRay's `rise` draws them, one per call, reproducible
 * from `seed`: a cells² grid of Bernoulli(p) cells (1 = kept), then a random shift of less than
 * one cell per axis ({@link riseMask}).
 */
export function riseMaskSampler(height: number, width: number, cells: number, p: number, seed: number): () => Float32Array {
  const r = rng(seed);
  const masker = riseMasker(height, width, cells);
  const grid = new Float32Array(cells * cells);
  const [cellH, cellW] = [Math.ceil(height / cells), Math.ceil(width / cells)];
  return () => {
    for (let i = 0; i < grid.length; i++) grid[i] = r() < p ? 1 : 0;
    return masker(grid, Math.floor(r() * cellH), Math.floor(r() * cellW));
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
