import { defineMethod } from './method.js';
import { NeuroMaskOptionsSchema } from './neuromask/options.js';
import { neuromask } from './neuromask/neuromask.js';

/** NeuroMask behind the common method interface: the map is the learnt mask. */
export const neuromaskMethod = defineMethod({
  name: 'neuromask',
  description: 'NeuroMask (Alzantot et al. 2019): a learnt soft mask that keeps the decision',
  options: NeuroMaskOptionsSchema.omit({ target: true, batchSize: true, seed: true }),
  async explain(ctx, image, target, options) {
    const control = {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.onProgress ? { onProgress: (p: { iteration: number; iterations: number }) => ctx.onProgress!(p.iteration + 1, p.iterations) } : {}),
    };
    const [e] = await neuromask(ctx.engine, [{ image, target }], { ...options, seed: ctx.seed, batchSize: 1 }, control);
    return { method: 'neuromask', map: e!.map, ...(e!.map !== e!.mask ? { mask: e!.mask } : {}), height: e!.height, width: e!.width, target: e!.target, cost: e!.cost, options: { ...options, config: e!.config } };
  },
});
