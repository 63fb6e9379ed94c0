import { z } from 'zod';
import { buildGradient } from '../autodiff/index.js';
import { gaussianBlur } from '../image/baseline.js';
import type { ImageInput } from '../image/load.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/types.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { defineMethod, type MethodContext } from './method.js';
import { appendSmoothMask, smoothMaskGeometry, type SmoothMaskGeometry } from './extremal/smooth-mask.js';
import { normaliseInto } from './neuromask/step-graph.js';
import { stopPoint } from '../util/stop-point.js';

/**
 * TorchRay's `extremal_perturbation` (its defaults): preservation game, 800 SGD steps (lr 0.01,
 * momentum 0.9 with dampening 0.9), area weight 300 growing ×1.0035 a step, blur pyramid of 8
 * levels up to σ 20 px, horizontal flip on every other step, mask parameters 1 everywhere,
 * clamped to [0, 1], its smooth max-pooled mask generator. Its mask step (7 px) and σ (21 px) are
 * for 224 inputs; we scale them with the input.
 */
export const ExtremalPerturbationOptionsSchema = z
  .object({
    areas: z.array(z.number().gt(0).lt(1)).min(1).default([0.1]),
    iterations: z.number().int().positive().default(800),
    learningRate: z.number().positive().default(0.01),
    momentum: z.number().min(0).lt(1).default(0.9),
    /** Initial weight of the area (ranking) loss, multiplied by `areaWeightGrowth` every step. */
    areaWeight: z.number().positive().default(300),
    areaWeightGrowth: z.number().positive().default(1.0035),
    /** Mask parameter spacing in pixels; default 7 at 224 (TorchRay), scaled with the input. */
    step: z.number().int().positive().optional(),
    /** TorchRay's mask smoothing in pixels; default 3·step (21 at 224). */
    sigma: z.number().positive().optional(),
    maxBlur: z.number().positive().default(20),
    levels: z.number().int().min(2).default(8),
    jitter: z.boolean().default(true),
    /** TorchRay's `simple_reward` (the target logit, its default) or `contrastive_reward` (minus the best other logit). */
    reward: z.enum(['simple', 'contrastive']).default('simple'),
  })
  .strict();

export type ExtremalPerturbationOptions = z.output<typeof ExtremalPerturbationOptionsSchema>;

const EP = {
  params: 'ep_mask_params',
  flip: 'ep_flip',
  pyramid: 'ep_pyramid',
  reference: 'ep_area_reference',
  weight: 'ep_area_weight',
  target: 'ep_target',
  reward: 'ep_reward',
  area: 'ep_area_loss',
  mask: 'ep_mask',
  grad: 'ep_mask_params_grad',
} as const;

/** Offset of the pyramid lookup, in levels (see buildGraph). */
const LEVEL_SHIFT = 1e-4;

/** TorchRay's contrastive reward masks the target with −100 before taking the best other logit. */
const CONTRAST_FILL = -100;

interface Layout {
  areas: number;
  geo: SmoothMaskGeometry;
  levels: number;
  reward: ExtremalPerturbationOptions['reward'];
}

/**
 * One graph per step: parameters → smooth mask → pyramid lookup → (optional flip) → model →
 * reward; the area loss λ·mean((sort(full mask) − r_a)²) with TorchRay's sort (TopK); the
 * gradient of −(reward − area loss) for the parameters.
 */
function buildGraph(engine: Engine, l: Layout): Graph {
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const A = l.areas;
  const L = l.levels;
  const { b, appendModel } = GraphBuilder.aroundModel(engine.graph(A));
  const p = b.input(EP.params, 'float32', [A, 1, ...l.geo.param]);
  // [W, W]: the identity, or the reversal on jitter steps (TorchRay flips the perturbed image).
  const flip = b.input(EP.flip, 'float32', [W, W]);
  const pyramid = b.input(EP.pyramid, 'float32', [1, L, C, H, W]);
  const M = l.geo.full[0] * l.geo.full[1];
  const reference = b.input(EP.reference, 'float32', [A, M]);
  const weight = b.input(EP.weight, 'float32', [1]);
  const target = b.input(EP.target, 'float32', [A, c.numClasses]);

  const { full, cropped } = appendSmoothMask(b, p, l.geo, A, [H, W]);
  b.push('Identity', [cropped], [EP.mask]);
  b.output(EP.mask, 'float32', [A, 1, H, W]);
  // TorchRay's pyramid lookup: level m·(L−1), interpolated linearly between neighbouring levels
  // (hat weights max(0, 1 − |m·(L−1) − l|)); m = 1 is the sharp image, m = 0 the most blurred.
  // TorchRay's floor() takes the slope of the segment above an integer level; the hats' kinks give
  // 0 there, and masks sit exactly at 0 wherever their parameters are clamped to 0, so that region
  // could never come back. A shift of 1e-4 of a level puts every m on the segment TorchRay uses.
  const t = b.add('Add', [b.add('Mul', [b.add('Reshape', [cropped, b.ints([A, 1, 1, H, W])]), b.scalar(L - 1)]), b.scalar(LEVEL_SHIFT)]);
  const lv = b.floats([1, L, 1, 1, 1], Array.from({ length: L }, (_, i) => i), 'levels');
  const hat = b.add('Relu', [b.add('Sub', [b.scalar(1), b.add('Abs', [b.add('Sub', [t, lv])])])]);
  const perturbed = b.add('MatMul', [b.add('ReduceSum', [b.add('Mul', [hat, pyramid]), b.ints([1], 'axes')], { keepdims: 0 }), flip]);
  normaliseInto(b, perturbed, c.spec, C, c.inputName);
  appendModel();
  const y = c.outputName;
  let reward = b.add('ReduceSum', [b.add('Mul', [target, y]), b.ints([1], 'axes')], { keepdims: 0 });
  if (l.reward === 'contrastive') {
    const others = b.add('Add', [b.add('Mul', [y, b.add('Sub', [b.scalar(1), target])]), b.add('Mul', [target, b.scalar(CONTRAST_FILL)])]);
    reward = b.add('Sub', [reward, b.add('ReduceMax', [others], { axes: [1], keepdims: 0 })]);
  }
  b.push('Identity', [reward], [EP.reward]);
  b.output(EP.reward, 'float32', [A]);
  const sorted = b.add('TopK', [b.add('Reshape', [full, b.ints([A, M])]), b.ints([M])], { axis: 1, largest: 0, sorted: 1 });
  const sq = b.add('Pow', [b.add('Sub', [sorted, reference]), b.scalar(2)]);
  b.push('Mul', [b.add('ReduceMean', [sq], { axes: [1], keepdims: 0 }), weight], [EP.area]);
  b.output(EP.area, 'float32', [A]);
  const scalar = b.add('Sub', [b.add('ReduceSum', [EP.area], { keepdims: 0 }), b.add('ReduceSum', [EP.reward], { keepdims: 0 })]);
  return buildGradient(b.build('extremal_perturbation'), { of: scalar, wrt: [p], names: { [p]: EP.grad }, webgpu: engine.runtime.ep === 'webgpu' }).graph;
}

/** TorchRay's blur pyramid: level l blurred with σ = maxBlur·(1 − l/(L−1)), kernel ±4σ, zero padding in the model's normalised space. */
export function blurPyramid(pixels: Float32Array, c: number, h: number, w: number, levels: number, maxBlur: number, fill: ArrayLike<number>): Float32Array {
  const out = new Float32Array(levels * c * h * w);
  for (let l = 0; l < levels; l++) out.set(gaussianBlur(pixels, c, h, w, maxBlur * (1 - l / (levels - 1)), { truncate: 4, fill }), l * c * h * w);
  return out;
}

export interface ExtremalPerturbationRun {
  /** One mask per area, at input resolution, in [0, 1] (1 = preserved). */
  masks: Float32Array[];
  /** Per iteration: energy to minimise (−reward + area loss), summed over areas, and its parts. */
  lossCurve: { loss: number; reward: number; area: number }[];
  /** The mask geometry used (the defaults resolved for this input size). */
  step: number;
  sigma: number;
  seconds: number;
}

/** One evaluation of the step graph: the mask, reward and area loss at `params`, and their gradient. */
export interface ExtremalStepResult {
  /** [A, H, W] masks generated from the parameters (before the update). */
  mask: Float32Array;
  /** Per area. */
  reward: Float32Array;
  area: Float32Array;
  /** Gradient of Σ(area loss − reward) for the parameters, [A, h, w]. */
  grad: Float32Array;
}

/** The step graph of one image and target, ready to evaluate at any parameters (the optimiser's and the reference traces'). */
export interface ExtremalStepper {
  geo: SmoothMaskGeometry;
  step: number;
  sigma: number;
  /** Step `it` decides the flip (TorchRay flips on even steps when jittering); `weight` is the area loss weight. */
  evaluate(params: Float32Array, it: number, weight: number): Promise<ExtremalStepResult>;
}

export async function extremalStepper(engine: Engine, image: ImageInput, target: number, o: ExtremalPerturbationOptions): Promise<ExtremalStepper> {
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const A = o.areas.length;
  const step = o.step ?? Math.max(1, Math.round((7 * Math.min(H, W)) / 224));
  const sigma = o.sigma ?? 3 * step;
  const geo = smoothMaskGeometry(H, W, step, sigma);
  const M = geo.full[0] * geo.full[1];

  const mean = Array.from({ length: C }, (_, i) => c.spec.mean[i] ?? c.spec.mean[0]!);
  const pyramid = blurPyramid(image.pixels, C, H, W, o.levels, o.maxBlur, mean);
  const identity = new Float32Array(W * W);
  const reversal = new Float32Array(W * W);
  for (let j = 0; j < W; j++) [identity[j * W + j], reversal[j * W + W - 1 - j]] = [1, 1];
  const onehot = new Float32Array(A * c.numClasses);
  const reference = new Float32Array(A * M);
  o.areas.forEach((a, i) => {
    onehot[i * c.numClasses + target] = 1;
    reference.fill(1, i * M + Math.floor(M * (1 - a)), (i + 1) * M);
  });

  const key = `extremal-perturbation:${JSON.stringify({ step, sigma, L: o.levels, reward: o.reward })}`;
  const session = await engine.session(key, String(A), async () => (await engine.prepare(A), buildGraph(engine, { areas: A, geo, levels: o.levels, reward: o.reward })));
  return {
    geo,
    step,
    sigma,
    async evaluate(params, it, weight) {
      const r = await session.run({
        [EP.params]: { data: params, dims: [A, 1, ...geo.param] },
        [EP.flip]: { data: o.jitter && it % 2 === 0 ? reversal : identity, dims: [W, W] },
        [EP.pyramid]: { data: pyramid, dims: [1, o.levels, C, H, W] },
        [EP.reference]: { data: reference, dims: [A, M] },
        [EP.weight]: { data: Float32Array.of(weight), dims: [1] },
        [EP.target]: { data: onehot, dims: [A, c.numClasses] },
      });
      return { mask: r[EP.mask]!.data, reward: r[EP.reward]!.data, area: r[EP.area]!.data, grad: r[EP.grad]!.data };
    },
  };
}

/** Optimise one smooth mask per area for one image and target (TorchRay's preservation game). */
export async function extremalPerturbation(
  engine: Engine,
  image: ImageInput,
  target: number,
  o: ExtremalPerturbationOptions,
  control: Pick<MethodContext, 'signal' | 'onProgress' | 'onFrame'> = {},
): Promise<ExtremalPerturbationRun> {
  const t0 = performance.now();
  const [H, W] = engine.classifier.spec.inputSize;
  const A = o.areas.length;
  const stepper = await extremalStepper(engine, image, target, o);
  const P = stepper.geo.param[0] * stepper.geo.param[1];
  const p = new Float32Array(A * P).fill(1);
  const velocity = new Float32Array(A * P);
  let weight = o.areaWeight;
  let mask: Float32Array = new Float32Array(A * H * W);
  const lossCurve: ExtremalPerturbationRun['lossCurve'] = [];

  for (let it = 0; it < o.iterations; it++) {
    await stopPoint(control.signal);
    const r = await stepper.evaluate(p, it, weight);
    const reward = r.reward.reduce((s, v) => s + v, 0);
    const area = r.area.reduce((s, v) => s + v, 0);
    lossCurve.push({ loss: area - reward, reward, area });
    // TorchRay returns the mask of its last step, generated before that step's update.
    mask = r.mask;
    const frameMask = r.mask;
    control.onFrame?.({ iteration: it, iterations: o.iterations, total: area - reward, terms: { reward, area }, map: () => frameMask.slice(0, H * W) });
    // SGD as PyTorch's with dampening = momentum (the buffer starts at the first gradient).
    const g = r.grad;
    for (let i = 0; i < p.length; i++) {
      velocity[i] = it === 0 ? g[i]! : o.momentum * velocity[i]! + (1 - o.momentum) * g[i]!;
      p[i] = Math.min(1, Math.max(0, p[i]! - o.learningRate * velocity[i]!));
    }
    weight *= o.areaWeightGrowth;
    control.onProgress?.(it + 1, o.iterations);
  }
  const masks = o.areas.map((_, a) => mask.slice(a * H * W, (a + 1) * H * W));
  return { masks, lossCurve, step: stepper.step, sigma: stepper.sigma, seconds: (performance.now() - t0) / 1000 };
}

/** Extremal Perturbation (Fong, Patrick & Vedaldi 2019): the map is the mask for the first area. */
export const extremalPerturbationMethod = defineMethod({
  name: 'extremal-perturbation',
  description: 'Extremal Perturbation (Fong et al. 2019): the fixed-area smooth mask that best keeps the class',
  options: ExtremalPerturbationOptionsSchema,
  async explain(ctx, image, target, options) {
    const run = await extremalPerturbation(ctx.engine, image, target, options, ctx);
    const [H, W] = ctx.engine.classifier.spec.inputSize;
    return {
      method: 'extremal-perturbation',
      map: run.masks[0]!,
      height: H,
      width: W,
      target: { index: target, label: ctx.engine.classifier.labels?.[target] },
      cost: { forwardPasses: options.iterations * options.areas.length, backwardPasses: options.iterations * options.areas.length, seconds: run.seconds },
      options: { ...options, step: run.step, sigma: run.sigma },
    };
  },
});
