import { z } from 'zod';
import { buildGradient } from '../autodiff/index.js';
import { gaussianBlur } from '../image/baseline.js';
import type { ImageInput } from '../image/load.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/types.js';
import type { Engine } from '../runtime/engine.js';
import { defineMethod, type MethodContext } from './method.js';
import { bilinearMatrix, paramSize } from './neuromask/parameterization.js';
import { normaliseInto } from './neuromask/step-graph.js';
import { permute } from '../util/permute.js';
import { stopPoint } from '../util/stop-point.js';

/**
 * TorchRay's `extremal_perturbation` defaults: preservation game, 800 SGD steps (lr 0.01, momentum
 * 0.9 with dampening 0.9), area weight 300 growing ×1.0035 a step, blur pyramid of 8 levels up to
 * σ 20 px, horizontal flip on every other step, mask parameters 1 everywhere, clamped to [0, 1].
 * Its mask step (7 px) and smoothing (σ 21 px) are for 224 inputs; we scale them with the input.
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
  })
  .strict();

export type ExtremalPerturbationOptions = z.output<typeof ExtremalPerturbationOptionsSchema>;

const EP = {
  params: 'ep_mask_params',
  cols: 'ep_cols',
  pyramid: 'ep_pyramid',
  cotangent: 'ep_area_cotangent',
  target: 'ep_target',
  reward: 'ep_reward',
  grad: 'ep_mask_params_grad',
} as const;

/**
 * [size, n] matrix taking n mask parameters to `size` pixels: a Gaussian (σ in parameter cells,
 * each row renormalised so a constant mask stays constant up to the borders) then bilinear
 * upsampling. TorchRay smooths with a soft max over shifted kernels; this linear stand-in keeps
 * its edge fall-off (a Gaussian of σ/2) but, unlike the max, cannot make a lone cell reach 1.
 */
export function smoothUpsampleMatrix(size: number, n: number, sigmaCells: number): Float32Array {
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < n; j++) total += s[i * n + j] = Math.exp(-((i - j) ** 2) / (2 * sigmaCells * sigmaCells));
    for (let j = 0; j < n; j++) s[i * n + j]! /= total;
  }
  const u = bilinearMatrix(size, n);
  const out = new Float32Array(size * n);
  for (let r = 0; r < size; r++)
    for (let k = 0; k < n; k++) {
      const a = u[r * n + k]!;
      if (a !== 0) for (let j = 0; j < n; j++) out[r * n + j]! += a * s[k * n + j]!;
    }
  return out;
}

/**
 * The ranking loss λ‖sort(m) − r_a‖²/|m| and its gradient 2λ(m_(k) − r_k)/|m|. r_a is 0 for the
 * lowest ⌊(1 − a)|m|⌋ ranks and 1 above, so only whether an element ranks in the top a·|m| matters:
 * a threshold from one numeric sort. Elements tied at the threshold share its ones: their r is the
 * fraction of ones among the tied ranks (the mean over tie-breaks), so no pixel order is favoured —
 * at the start every mask value is 1 and all are tied.
 */
export function rankingLoss(m: Float32Array, area: number, weight: number, grad: Float32Array): number {
  const M = m.length;
  const zeros = Math.floor(M * (1 - area));
  const sorted = m.slice().sort();
  const tau = sorted[zeros]!;
  let above = 0;
  let tied = 0;
  for (let i = 0; i < M; i++) {
    if (m[i]! > tau) above++;
    else if (m[i] === tau) tied++;
  }
  const tiedOne = (M - zeros - above) / tied;
  let loss = 0;
  for (let i = 0; i < M; i++) {
    const v = m[i]!;
    const r = v > tau ? 1 : v === tau ? tiedOne : 0;
    grad[i] = (2 * weight * (v - r)) / M;
  }
  // The loss itself does not depend on how ties are broken: sum it over the sorted values.
  for (let k = 0; k < M; k++) loss += (sorted[k]! - (k < zeros ? 0 : 1)) ** 2;
  return (weight * loss) / M;
}

function buildGraph(engine: Engine, areas: number, param: [number, number], rows: Float32Array, levels: number): Graph {
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const { b, appendModel } = GraphBuilder.aroundModel(engine.graph(areas));
  const p = b.input(EP.params, 'float32', [areas, 1, ...param]);
  // Columns come in as a feed: on jitter steps the flipped matrix mirrors the mask with the image.
  const cols = b.input(EP.cols, 'float32', [param[1], W]);
  const pyramid = b.input(EP.pyramid, 'float32', [1, levels, C, H, W]);
  const cot = b.input(EP.cotangent, 'float32', [areas, 1, H, W]);
  const target = b.input(EP.target, 'float32', [areas, c.numClasses]);

  const m = b.add('MatMul', [b.add('MatMul', [b.floats([H, param[0]], rows, 'rows'), p]), cols]);
  // TorchRay's pyramid lookup: level m·(L−1), interpolated linearly between neighbouring levels
  // (hat weights max(0, 1 − |m·(L−1) − l|)); m = 1 is the sharp image, m = 0 the most blurred.
  const t = b.add('Mul', [b.add('Reshape', [m, b.ints([areas, 1, 1, H, W])]), b.scalar(levels - 1)]);
  const lv = b.floats([1, levels, 1, 1, 1], Array.from({ length: levels }, (_, l) => l), 'levels');
  const hat = b.add('Relu', [b.add('Sub', [b.scalar(1), b.add('Abs', [b.add('Sub', [t, lv])])])]);
  const perturbed = b.add('ReduceSum', [b.add('Mul', [hat, pyramid]), b.ints([1], 'axes')], { keepdims: 0 });
  normaliseInto(b, perturbed, c.spec, C, c.inputName);
  appendModel();
  b.push('ReduceSum', [b.add('Mul', [target, c.outputName]), b.ints([1], 'axes')], [EP.reward], { keepdims: 0 });
  b.output(EP.reward, 'float32', [areas]);
  // −Σ reward + Σ m·cot: the second term's gradient for m is the host-computed ranking gradient.
  const scalar = b.add('Sub', [b.add('ReduceSum', [b.add('Mul', [m, cot])], { keepdims: 0 }), b.add('ReduceSum', [EP.reward], { keepdims: 0 })]);
  return buildGradient(b.build('extremal_perturbation'), { of: scalar, wrt: [p], names: { [p]: EP.grad } }).graph;
}

/** m = rows · p · cols for one [h, w] parameter grid. */
function hostMask(p: Float32Array, rows: Float32Array, cols: Float32Array, param: [number, number], H: number, W: number): Float32Array {
  const [h, w] = param;
  const tmp = new Float32Array(H * w);
  for (let i = 0; i < H; i++)
    for (let k = 0; k < h; k++) {
      const a = rows[i * h + k]!;
      if (a !== 0) for (let j = 0; j < w; j++) tmp[i * w + j]! += a * p[k * w + j]!;
    }
  const out = new Float32Array(H * W);
  for (let i = 0; i < H; i++)
    for (let k = 0; k < w; k++) {
      const a = tmp[i * w + k]!;
      if (a !== 0) for (let j = 0; j < W; j++) out[i * W + j]! += a * cols[k * W + j]!;
    }
  return out;
}

/** Mirror every row of width W: a horizontal flip of any stack of planes. */
function flipRows(x: Float32Array, W: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / W; r++) for (let j = 0; j < W; j++) out[r * W + j] = x[r * W + W - 1 - j]!;
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

/** Optimise one smooth mask per area for one image and target (TorchRay's preservation game). */
export async function extremalPerturbation(
  engine: Engine,
  image: ImageInput,
  target: number,
  o: ExtremalPerturbationOptions,
  control: Pick<MethodContext, 'signal' | 'onProgress'> = {},
): Promise<ExtremalPerturbationRun> {
  const t0 = performance.now();
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const A = o.areas.length;
  const L = o.levels;
  const step = o.step ?? Math.max(1, Math.round((7 * Math.min(H, W)) / 224));
  const sigma = o.sigma ?? 3 * step;
  const param: [number, number] = [paramSize(H, step), paramSize(W, step)];
  const P = param[0] * param[1];
  const rows = smoothUpsampleMatrix(H, param[0], sigma / 2 / step);
  const colsT = permute(smoothUpsampleMatrix(W, param[1], sigma / 2 / step), [W, param[1]], [1, 0]).data;
  const colsFlipped = flipRows(colsT, W);

  const pyramid = new Float32Array(L * C * H * W);
  for (let l = 0; l < L; l++) pyramid.set(gaussianBlur(image.pixels, C, H, W, o.maxBlur * (1 - l / (L - 1))), l * C * H * W);
  const pyramidFlipped = flipRows(pyramid, W);
  const onehot = new Float32Array(A * c.numClasses);
  for (let a = 0; a < A; a++) onehot[a * c.numClasses + target] = 1;

  const key = `extremal-perturbation:${JSON.stringify({ param, step, sigma, L })}`;
  const session = await engine.session(key, String(A), async () => (await engine.prepare(A), buildGraph(engine, A, param, rows, L)));
  const p = new Float32Array(A * P).fill(1);
  const velocity = new Float32Array(A * P);
  const cot = new Float32Array(A * H * W);
  const areaGrad = new Float32Array(H * W);
  let weight = o.areaWeight;
  const lossCurve: ExtremalPerturbationRun['lossCurve'] = [];
  const masks = (): Float32Array[] => o.areas.map((_, a) => hostMask(p.subarray(a * P, (a + 1) * P), rows, colsT, param, H, W));

  for (let it = 0; it < o.iterations; it++) {
    await stopPoint(control.signal);
    const flip = o.jitter && it % 2 === 0;
    let area = 0;
    masks().forEach((m, a) => {
      area += rankingLoss(m, o.areas[a]!, weight, areaGrad);
      cot.set(flip ? flipRows(areaGrad, W) : areaGrad, a * H * W);
    });
    const r = await session.run({
      [EP.params]: { data: p, dims: [A, 1, ...param] },
      [EP.cols]: { data: flip ? colsFlipped : colsT, dims: [param[1], W] },
      [EP.pyramid]: { data: flip ? pyramidFlipped : pyramid, dims: [1, L, C, H, W] },
      [EP.cotangent]: { data: cot, dims: [A, 1, H, W] },
      [EP.target]: { data: onehot, dims: [A, c.numClasses] },
    });
    const reward = r[EP.reward]!.data.reduce((s, v) => s + v, 0);
    lossCurve.push({ loss: area - reward, reward, area });
    // SGD as PyTorch's with dampening = momentum (the buffer starts at the first gradient).
    const g = r[EP.grad]!.data;
    for (let i = 0; i < p.length; i++) {
      velocity[i] = it === 0 ? g[i]! : o.momentum * velocity[i]! + (1 - o.momentum) * g[i]!;
      p[i] = Math.min(1, Math.max(0, p[i]! - o.learningRate * velocity[i]!));
    }
    weight *= o.areaWeightGrowth;
    control.onProgress?.(it + 1, o.iterations);
  }
  return { masks: masks(), lossCurve, step, sigma, seconds: (performance.now() - t0) / 1000 };
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
