import type { NeuroMaskOptions } from './options.js';
import { preset, type NeuroMaskConfig } from './presets.js';

/** The preset with the user's overrides applied: the exact configuration a run used. */
export function resolveConfig(o: NeuroMaskOptions, inputSize: readonly [number, number]): NeuroMaskConfig {
  const p = preset(o.preset, inputSize);
  const init: NeuroMaskConfig['init'] =
    o.init === 'uniform' ? { kind: 'uniform' }
    : o.init === 'constant' || o.initValue !== undefined ? { kind: 'constant', value: o.initValue ?? (p.init.kind === 'constant' ? p.init.value : 0) }
    : p.init;
  return {
    iterations: o.iterations ?? p.iterations,
    optimizer: o.optimizer ?? p.optimizer,
    learningRate: o.learningRate ?? p.learningRate,
    schedule: o.schedule ?? p.schedule,
    tolerance: o.tolerance ?? p.tolerance,
    patience: o.patience ?? p.patience,
    stages: o.stages ?? p.stages,
    temperature: o.temperature ?? p.temperature,
    weightLimit: o.weightLimit ?? p.weightLimit,
    laplacianSize: o.laplacianSize ?? p.laplacianSize,
    smoothness: o.smoothnessKind ?? p.smoothness,
    weights: {
      prediction: o.prediction ?? p.weights.prediction,
      sparsity: o.sparsity ?? p.weights.sparsity,
      smoothness: o.smoothness ?? p.weights.smoothness,
      area: o.area ?? p.weights.area,
      deletion: o.deletion ?? p.weights.deletion,
    },
    maskScale: o.maskScale ?? p.maskScale,
    init,
    baseline: o.baseline ?? p.baseline,
    blurSigma: o.blurSigma ?? p.blurSigma,
    refine: { weight: o.refine ?? p.refine.weight, sigma: o.refineSigma ?? p.refine.sigma },
  };
}
