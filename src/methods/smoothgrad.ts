import { z } from 'zod';
import { gaussianStream } from '../util/random.js';
import { batchedGradients, reduceChannels, ReduceSchema, targetInfo } from './gradient.js';
import { defineMethod } from './method.js';

export const SmoothGradOptionsSchema = z
  .object({
    samples: z.number().int().positive().default(25),
    /** Noise σ as a fraction of the image's value range (max − min), as in the paper. */
    noise: z.number().nonnegative().default(0.15),
    /** SmoothGrad² (Hooker et al. 2019): average the squared gradients instead. */
    squared: z.boolean().default(false),
    batchSize: z.number().int().positive().default(8),
    reduce: ReduceSchema,
  })
  .strict();

/** SmoothGrad (Smilkov et al. 2017): the gradient averaged over noisy copies of the image. */
export const smoothgradMethod = defineMethod({
  name: 'smoothgrad',
  description: 'SmoothGrad (Smilkov et al. 2017): gradients averaged over noisy copies of the image',
  options: SmoothGradOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    const x = image.pixels;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const sigma = options.noise * (hi - lo);
    // One stream per explanation, so a seed fixes every sample whatever the batch size.
    const next = gaussianStream(ctx.seed);
    // Float64 sums: with noise 0 the mean is then exactly the plain gradient.
    const sum = new Float64Array(x.length);
    const passes = await batchedGradients(
      ctx,
      options.samples,
      options.batchSize,
      target,
      (_, slot) => {
        for (let i = 0; i < x.length; i++) slot[i] = x[i]! + sigma * next();
      },
      (_, g) => {
        if (options.squared) for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]! * g[i]!;
        else for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]!;
      },
    );
    const mean = sum.map((v) => v / options.samples);
    return {
      method: 'smoothgrad',
      map: reduceChannels(mean, ctx.engine.channels, image.height * image.width, options.reduce),
      height: image.height,
      width: image.width,
      target: targetInfo(ctx.engine, target),
      cost: { forwardPasses: passes, backwardPasses: passes, seconds: (performance.now() - t0) / 1000 },
      options: { ...options, sigma },
    };
  },
});
