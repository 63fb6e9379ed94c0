import { z } from 'zod';
import { defineMethod } from './method.js';
import { batchedGradients, reduceChannels, ReduceSchema, targetInfo } from './gradient-common.js';

export { batchedGradients, reduceChannels, REDUCTIONS, ReduceSchema, targetInfo, type Reduction } from './gradient-common.js';

export const GradientOptionsSchema = z.object({ reduce: ReduceSchema }).strict();

/** Vanilla saliency (Simonyan, Vedaldi & Zisserman 2014): |∂ logit / ∂ pixel|, reduced over channels. */
export const gradientMethod = defineMethod({
  name: 'gradient',
  description: 'Gradient saliency (Simonyan et al. 2014): |d logit / d pixel|, reduced over channels',
  options: GradientOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    let g = new Float32Array(0);
    const passes = await batchedGradients(ctx, 1, 1, target, (_, slot) => slot.set(image.pixels), (_, grad) => (g = grad.slice()));
    const plane = image.height * image.width;
    return {
      method: 'gradient',
      map: reduceChannels(g, ctx.engine.channels, plane, options.reduce),
      height: image.height,
      width: image.width,
      target: targetInfo(ctx.engine, target),
      cost: { forwardPasses: passes, backwardPasses: passes, seconds: (performance.now() - t0) / 1000 },
      options: { ...options },
    };
  },
});
