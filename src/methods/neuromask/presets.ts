import type { ObjectiveWeights, SmoothnessKind } from './objective.js';
import type { Refinement } from './refine.js';
import type { LrSchedule } from './schedule.js';

export interface NeuroMaskConfig {
  iterations: number;
  optimizer: 'rmsprop' | 'adam';
  learningRate: number;
  /** Learning rate over the run (the reference: constant). */
  schedule: LrSchedule;
  /**
   * Stop an item early once no mask cell has moved by `tolerance` (in mask units, 0…1) for
   * `patience` consecutive steps; 0 runs every iteration (the reference).
   */
  tolerance: number;
  patience: number;
  /**
   * Coarse-to-fine: block sizes of equal shares of the iterations (e.g. [4, 2, 1] moves 4×4 blocks
   * of logits together first); [] optimises every cell from the start (the reference).
   */
  stages: number[];
  /** T in m = sigmoid(w / T). */
  temperature: number;
  /** L: uniform initialisation range [-L, L] and the sparsity term's target -L. */
  weightLimit: number;
  laplacianSize: 3 | 5;
  /** How λ_smooth measures roughness of the logits. */
  smoothness: SmoothnessKind;
  weights: ObjectiveWeights;
  /** Mask parameters on a grid `maskScale` times coarser than the input, bilinearly upsampled. */
  maskScale: number;
  init: { kind: 'uniform' } | { kind: 'constant'; value: number };
  baseline: 'black' | 'blur' | 'mean';
  /** Gaussian sigma of the blurred baseline, in input pixels. */
  blurSigma: number;
  /** How the mask is read as a saliency map (refine.ts); weight 0: the map is the mask. */
  refine: Refinement;
}

const NO_EXTRAS = { area: 0, deletion: 0 } as const;

/** The authors' numbers (nesl/neuromask): their ImageNet notebook and CIFAR demo script. */
export const REFERENCE_IMAGENET: NeuroMaskConfig = {
  iterations: 2000,
  optimizer: 'rmsprop',
  learningRate: 0.03,
  schedule: 'constant',
  tolerance: 0,
  patience: 5,
  stages: [],
  temperature: 0.3,
  weightLimit: 10,
  laplacianSize: 5,
  smoothness: 'laplacian',
  weights: { prediction: 0.4, sparsity: 0.35, smoothness: 0.03, ...NO_EXTRAS },
  maskScale: 1,
  init: { kind: 'uniform' },
  baseline: 'black',
  blurSigma: 10,
  refine: { weight: 0, sigma: 0 },
};

export const REFERENCE_CIFAR: NeuroMaskConfig = {
  ...REFERENCE_IMAGENET,
  temperature: 1,
  laplacianSize: 3,
  weights: { prediction: 0.4, sparsity: 0.35, smoothness: 0.15, ...NO_EXTRAS },
};

/**
 * Our default: a coarse mask that starts half open (logits 0) and shrinks, Adam, and a term that
 * asks the complement to lose the class, so the kept region must carry the evidence rather than a
 * few adversarial pixels. Chosen by measurement (docs/study/findings.md): starting at σ(0) = 0.5
 * instead of the whole image (logits 3) halves the distance every logit has to travel, and Adam
 * moves a logit by about its rate per step, so 20 steps of lr 0.4 cover the distance 100 steps of
 * lr 0.1 did (fifth round: area 3.5 keeps the masked probability of the 30-step default). The map it
 * reports is the mask refined by the masked image's gradient × input (refine.ts), which ranks
 * pixels inside the kept region.
 */
export const DEFAULT: NeuroMaskConfig = {
  iterations: 20,
  optimizer: 'adam',
  learningRate: 0.4,
  schedule: 'constant',
  tolerance: 0,
  patience: 5,
  stages: [],
  temperature: 1,
  weightLimit: 10,
  laplacianSize: 3,
  smoothness: 'gradient',
  weights: { prediction: 1, sparsity: 0, smoothness: 1, area: 3.5, deletion: 1 },
  maskScale: 8,
  init: { kind: 'constant', value: 0 },
  baseline: 'blur',
  blurSigma: 10,
  refine: { weight: 10, sigma: 0 },
};

export const PRESET_NAMES = ['default', 'reference', 'imagenet', 'cifar'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * `reference` is the ImageNet notebook for ImageNet-size inputs, the CIFAR script for small ones;
 * `default` uses a 4× grid below 112 px, and a tenth of the smoothness there: on fashion-canvas that
 * raises energy in the box 0.58 → 0.67 and masked p 0.90 → 0.94 (docs/study/findings.md, fifth round).
 */
export function preset(name: PresetName, inputSize: readonly [number, number]): NeuroMaskConfig {
  switch (name) {
    // Small inputs (CIFAR, MNIST sizes) get a finer grid, so the mask still has ~7+ cells a side.
    case 'default': return Math.min(...inputSize) >= 112 ? DEFAULT : { ...DEFAULT, maskScale: 4, weights: { ...DEFAULT.weights, smoothness: 0.1 } };
    case 'imagenet': return REFERENCE_IMAGENET;
    case 'cifar': return REFERENCE_CIFAR;
    case 'reference': return Math.min(...inputSize) >= 64 ? REFERENCE_IMAGENET : REFERENCE_CIFAR;
  }
}
