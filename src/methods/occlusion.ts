import { z } from 'zod';
import { makeBaseline } from '../image/baseline.js';
import { toProbabilities } from '../util/softmax.js';
import { defineMethod } from './method.js';
import { stopPoint } from '../util/stop-point.js';

export const OcclusionOptionsSchema = z
  .object({
    /** Side of the square patch in pixels; default: 1/8 of the input's shorter side (28 for 224). */
    patch: z.number().int().positive().optional(),
    /** Step between patches; default: half the patch (Zeiler & Fergus slid with overlap). */
    stride: z.number().int().positive().optional(),
    /** What replaces the patch: black, the image's mean colour, or a blurred copy (σ = patch/2). */
    fill: z.enum(['black', 'mean', 'blur']).default('mean'),
    /** Occluded images per forward pass. */
    batchSize: z.number().int().positive().default(32),
  })
  .strict();

/** Patch origins along one axis; the last one is pulled in to the border so every pixel is covered. */
export function patchOrigins(size: number, patch: number, stride: number): number[] {
  const last = Math.max(0, size - patch);
  const out: number[] = [];
  for (let o = 0; o < last; o += stride) out.push(o);
  out.push(last);
  return out;
}

/** Occlusion (Zeiler & Fergus 2014): the drop of the target's probability when a patch is hidden. */
export const occlusionMethod = defineMethod({
  name: 'occlusion',
  description: 'Occlusion (Zeiler & Fergus 2014): probability drop when a sliding patch is hidden',
  options: OcclusionOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    const { engine } = ctx;
    const c = engine.classifier;
    const [H, W] = c.spec.inputSize;
    const C = engine.channels;
    const K = c.numClasses;
    const patch = Math.min(options.patch ?? Math.max(1, Math.round(Math.min(H, W) / 8)), H, W);
    const stride = options.stride ?? Math.max(1, Math.floor(patch / 2));
    const fill = makeBaseline(options.fill, image.pixels, C, H, W, patch / 2);
    const base = toProbabilities(await engine.forward(image.pixels, 1), c.outputKind)[target]!;

    const patches = patchOrigins(H, patch, stride).flatMap((y) => patchOrigins(W, patch, stride).map((x) => [y, x] as const));
    // Every forward pass uses the same batch size (padding the last) so one session serves all.
    const n = Math.min(options.batchSize, patches.length);
    const batch = new Float32Array(n * C * H * W);
    const sum = new Float64Array(H * W);
    const count = new Float64Array(H * W);
    for (let start = 0; start < patches.length; start += n) {
      await stopPoint(ctx.signal);
      const chunk = patches.slice(start, start + n);
      chunk.forEach(([y0, x0], k) => {
        const o = k * C * H * W;
        batch.set(image.pixels, o);
        for (let ch = 0; ch < C; ch++)
          for (let y = y0; y < y0 + patch; y++) {
            const row = ch * H * W + y * W;
            batch.set(fill.subarray(row + x0, row + x0 + patch), o + row + x0);
          }
      });
      const out = await engine.forward(batch, n);
      chunk.forEach(([y0, x0], k) => {
        const drop = base - toProbabilities(out.subarray(k * K, (k + 1) * K), c.outputKind)[target]!;
        for (let y = y0; y < y0 + patch; y++)
          for (let x = x0; x < x0 + patch; x++) {
            sum[y * W + x]! += drop;
            count[y * W + x]! += 1;
          }
      });
      ctx.onProgress?.(Math.min(start + n, patches.length), patches.length);
    }
    const map = Float32Array.from(sum, (s, i) => s / count[i]!);
    return {
      method: 'occlusion',
      map,
      height: H,
      width: W,
      target: { index: target, label: c.labels?.[target] },
      cost: { forwardPasses: 1 + patches.length, backwardPasses: 0, seconds: (performance.now() - t0) / 1000 },
      options: { ...options, patch, stride },
    };
  },
});
