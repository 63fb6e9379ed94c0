import { z } from 'zod';
import { makeBaseline } from '../image/baseline.js';
import { gaussLegendre, type Quadrature } from '../util/gauss-legendre.js';
import { uniform } from '../util/random.js';
import { batchedGradients, targetInfo } from './gradient.js';
import { defineMethod } from './method.js';

export const IG_RULES = ['riemann-right', 'riemann-middle', 'gauss-legendre'] as const;
export type IntegrationRule = (typeof IG_RULES)[number];

export const IntegratedGradientsOptionsSchema = z
  .object({
    baseline: z.enum(['black', 'blur', 'mean', 'uniform-noise']).default('black'),
    /** Gaussian σ in pixels for the `blur` baseline. */
    blurSigma: z.number().nonnegative().default(10),
    steps: z.number().int().positive().default(32),
    rule: z.enum(IG_RULES).default('gauss-legendre'),
    batchSize: z.number().int().positive().default(8),
  })
  .strict();

/** Points α in (0, 1] and weights of ∫₀¹ f(α) dα ≈ Σ w f(α). */
export function integrationRule(rule: IntegrationRule, steps: number): Quadrature {
  if (rule === 'gauss-legendre') return gaussLegendre(steps);
  const shift = rule === 'riemann-right' ? 0 : 0.5;
  return {
    nodes: Float64Array.from({ length: steps }, (_, k) => (k + 1 - shift) / steps),
    weights: new Float64Array(steps).fill(1 / steps),
  };
}

/** Integrated Gradients (Sundararajan, Taly & Yan 2017), signed, summed over channels. */
export const integratedGradientsMethod = defineMethod({
  name: 'integrated-gradients',
  description: 'Integrated Gradients (Sundararajan et al. 2017): path integral of gradients from a baseline',
  options: IntegratedGradientsOptionsSchema,
  async explain(ctx, image, target, options) {
    const t0 = performance.now();
    const { engine } = ctx;
    const { pixels: x, channels: c, height: h, width: w } = image;
    const x0 =
      options.baseline === 'uniform-noise' ? uniform(x.length, 0, 1, ctx.seed) : makeBaseline(options.baseline, x, c, h, w, options.blurSigma);
    const { nodes, weights } = integrationRule(options.rule, options.steps);
    const avg = new Float64Array(x.length);
    const passes = await batchedGradients(
      ctx,
      options.steps,
      options.batchSize,
      target,
      (k, slot) => {
        const a = nodes[k]!;
        for (let i = 0; i < x.length; i++) slot[i] = x0[i]! + a * (x[i]! - x0[i]!);
      },
      (k, g) => {
        const wk = weights[k]!;
        for (let i = 0; i < g.length; i++) avg[i] = avg[i]! + wk * g[i]!;
      },
    );
    const plane = h * w;
    const map = new Float32Array(plane);
    let total = 0;
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < plane; i++) {
        const j = ch * plane + i;
        const a = (x[j]! - x0[j]!) * avg[j]!;
        map[i] = map[i]! + a;
        total += a;
      }
    // Completeness: Σ attributions = f(x) − f(x0) exactly for the true integral; the gap measures
    // the quadrature (and float) error, relative to the gap being explained.
    const fx = (await engine.forward(x, 1))[target]!;
    const fx0 = (await engine.forward(x0, 1))[target]!;
    const delta = fx - fx0;
    const completenessError = Math.abs(total - delta) / Math.max(Math.abs(delta), 1e-12);
    return {
      method: 'integrated-gradients',
      map,
      height: h,
      width: w,
      target: targetInfo(engine, target),
      cost: { forwardPasses: passes + 2, backwardPasses: passes, seconds: (performance.now() - t0) / 1000 },
      options: { ...options, completenessError, attributionSum: total, outputDelta: delta },
    };
  },
});
