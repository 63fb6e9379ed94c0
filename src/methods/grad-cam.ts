import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import { lastSpatialLayer, targetGradients } from '../runtime/gradients.js';
import { targetInfo } from './gradient.js';
import { defineMethod } from './method.js';
import { bilinearMatrix } from './neuromask/parameterization.js';
import { stopPoint } from '../util/stop-point.js';

export const GradCamOptionsSchema = z
  .object({
    /** Tensor name of the feature map; default: the last spatial (4-D, > 1×1) tensor. */
    layer: z.string().min(1).optional(),
    relu: z.boolean().default(true),
  })
  .strict();

/** cam [h, w] to [H, W]: Uh · cam · Uwᵀ, bilinear with align_corners=false. */
export function upsampleBilinear(cam: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const uh = bilinearMatrix(outH, h);
  const uw = bilinearMatrix(outW, w);
  const rows = new Float32Array(outH * w);
  for (let i = 0; i < outH; i++)
    for (let k = 0; k < h; k++) {
      const a = uh[i * h + k]!;
      if (a !== 0) for (let j = 0; j < w; j++) rows[i * w + j] = rows[i * w + j]! + a * cam[k * w + j]!;
    }
  const out = new Float32Array(outH * outW);
  for (let i = 0; i < outH; i++)
    for (let j = 0; j < outW; j++) {
      let s = 0;
      for (let k = 0; k < w; k++) s += rows[i * w + k]! * uw[j * w + k]!;
      out[i * outW + j] = s;
    }
  return out;
}

/** Grad-CAM (Selvaraju et al. 2017): feature maps weighted by their spatially averaged gradients. */
export const gradCamMethod = defineMethod({
  name: 'grad-cam',
  description: 'Grad-CAM (Selvaraju et al. 2017): feature maps weighted by their mean gradient, upsampled',
  options: GradCamOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    await stopPoint(ctx.signal);
    const layer = options.layer ?? lastSpatialLayer(ctx.engine);
    const { grad, activation, dims } = await targetGradients(ctx.engine, image.pixels, 1, [target], layer);
    if (dims.length !== 4 || !activation) throw new UsageError(`grad-cam: layer '${layer}' is not a 4-D feature map (dims ${dims.join('×')}); name one with --options '{"layer": …}'`);
    const [, k, h, w] = dims as [number, number, number, number];
    const plane = h * w;
    const cam = new Float32Array(plane);
    for (let ch = 0; ch < k; ch++) {
      let mean = 0;
      for (let i = 0; i < plane; i++) mean += grad[ch * plane + i]!;
      mean /= plane;
      for (let i = 0; i < plane; i++) cam[i] = cam[i]! + mean * activation[ch * plane + i]!;
    }
    if (options.relu) for (let i = 0; i < plane; i++) cam[i] = Math.max(0, cam[i]!);
    ctx.onProgress?.(1, 1);
    return {
      method: 'grad-cam',
      map: upsampleBilinear(cam, h, w, image.height, image.width),
      height: image.height,
      width: image.width,
      target: targetInfo(ctx.engine, target),
      cost: { forwardPasses: 1, backwardPasses: 1, seconds: (performance.now() - t0) / 1000 },
      options: { ...options, layer, layerShape: [k, h, w] },
    };
  },
});
