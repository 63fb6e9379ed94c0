import { z } from 'zod';
import { buildGradient } from '../autodiff/index.js';
import { gaussianBlur } from '../image/baseline.js';
import type { ImageInput } from '../image/load.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/types.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { defineMethod, type MethodContext } from './method.js';
import { adam } from './neuromask/optimizer.js';
import { maskFromLogits, maskFromLogitsHost, paramSize } from './neuromask/parameterization.js';
import { normaliseInto } from './neuromask/step-graph.js';
import { stopPoint } from '../util/stop-point.js';

/**
 * Fong & Vedaldi (2017) used λ1 = 1e-4 on Σ|1 − m| and λ2 = 1e-2 on Σ|∇m|^β over the 28×28 mask
 * of a 224 input. We write both terms as means over the mask grid so the weights do not depend
 * on the input size, and keep the paper's balance at 28×28: λ1 = 1e-4·28² ≈ 0.08 and
 * λ2 = 1e-2·(27·28) ≈ 7.6 per direction. β = 3, Adam lr 0.1 and 300 steps are the paper's.
 */
export const MeaningfulPerturbationOptionsSchema = z
  .object({
    iterations: z.number().int().positive().default(300),
    learningRate: z.number().positive().default(0.1),
    /** Weight of mean(1 − m): how much deleting costs. */
    l1: z.number().nonnegative().default(0.0784),
    /** Weight of the total variation mean|Δm|^β (both directions). */
    tv: z.number().nonnegative().default(7.56),
    beta: z.number().positive().default(3),
    /** The mask lives on a grid this many times coarser than the input (28×28 for 224). */
    maskScale: z.number().int().positive().default(8),
    /** σ of the blurred image that deleted pixels become (the paper's 10 px). */
    blurSigma: z.number().nonnegative().default(10),
    /** Initial mask logit: sigmoid(3) ≈ 0.95, i.e. start from the whole image kept. */
    initLogit: z.number().default(3),
  })
  .strict();

export type MeaningfulPerturbationOptions = z.output<typeof MeaningfulPerturbationOptionsSchema>;

const MP = {
  w: 'mp_mask_logits',
  image: 'mp_image',
  blurred: 'mp_blurred',
  target: 'mp_target',
  loss: 'mp_loss',
  prob: 'mp_target_probability',
  grad: 'mp_mask_logits_grad',
} as const;

/** Deletion game as one graph: mask → blend with the blurred image → model → loss and its gradient. */
function buildGraph(engine: Engine, param: [number, number], o: MeaningfulPerturbationOptions): Graph {
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const { b, appendModel } = GraphBuilder.aroundModel(engine.graph(1));
  const w = b.input(MP.w, 'float32', [1, 1, ...param]);
  const x = b.input(MP.image, 'float32', [1, C, H, W]);
  const blurred = b.input(MP.blurred, 'float32', [1, C, H, W]);
  const target = b.input(MP.target, 'float32', [1, c.numClasses]);

  const m = maskFromLogits(b, w, 1, param, [H, W]);
  normaliseInto(b, b.add('Add', [blurred, b.add('Mul', [m, b.add('Sub', [x, blurred])])]), c.spec, C, c.inputName);
  appendModel();
  const probs = c.outputKind === 'probabilities' ? c.outputName : b.add('Softmax', [c.outputName], { axis: -1 });
  b.push('ReduceSum', [b.add('Mul', [target, probs]), b.ints([1], 'axes')], [MP.prob], { keepdims: 0 });

  // The regularisers act on the coarse mask itself, as the paper's did on its 28×28 mask.
  const s = b.add('Sigmoid', [w]);
  const mean = (t: string): string => b.add('ReduceMean', [t], { axes: [1, 2, 3], keepdims: 0 });
  const terms = [b.add('Mul', [mean(b.add('Sub', [b.scalar(1), s])), b.scalar(o.l1, 'lambda_l1')]), MP.prob];
  for (const axis of [2, 3]) {
    if (param[axis - 2]! < 2) continue;
    const ahead = b.add('Slice', [s, b.ints([1]), b.ints([1 << 30]), b.ints([axis])]);
    const behind = b.add('Slice', [s, b.ints([0]), b.ints([-1]), b.ints([axis])]);
    const d = b.add('Pow', [b.add('Abs', [b.add('Sub', [ahead, behind])]), b.scalar(o.beta, 'beta')]);
    terms.push(b.add('Mul', [mean(d), b.scalar(o.tv, 'lambda_tv')]));
  }
  b.push('Sum', terms, [MP.loss]);
  b.output(MP.loss, 'float32', [1]);
  b.output(MP.prob, 'float32', [1]);
  const scalar = b.add('ReduceSum', [MP.loss], { keepdims: 0 });
  return buildGradient(b.build('meaningful_perturbation'), { of: scalar, wrt: [w], names: { [w]: MP.grad }, webgpu: engine.runtime.ep === 'webgpu' }).graph;
}

export interface MeaningfulPerturbationRun {
  /** The learnt keep-mask m at input resolution (1 = kept). */
  mask: Float32Array;
  /** Total loss and target probability on the perturbed image, per iteration. */
  lossCurve: { loss: number; probability: number }[];
  seconds: number;
}

/** The objective of one image and target, ready to evaluate at any mask logits [h·w] (the mask grid of `maskScale`). */
export interface MeaningfulPerturbationObjective {
  param: [number, number];
  /** The loss λ1·mean(1 − m) + λ2·Σ_axes mean|Δm|^β + p(target | blend), p alone, and d loss / d logits. */
  evaluate(logits: Float32Array): Promise<{ loss: number; probability: number; grad: Float32Array }>;
}

export async function meaningfulPerturbationObjective(engine: Engine, image: ImageInput, target: number, o: MeaningfulPerturbationOptions): Promise<MeaningfulPerturbationObjective> {
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const C = engine.channels;
  const param: [number, number] = [paramSize(H, o.maskScale), paramSize(W, o.maskScale)];
  const key = `meaningful-perturbation:${JSON.stringify({ param, l1: o.l1, tv: o.tv, beta: o.beta })}`;
  const session = await engine.session(key, '1', async () => (await engine.prepare(1), buildGraph(engine, param, o)));
  const onehot = new Float32Array(c.numClasses);
  onehot[target] = 1;
  const feeds = {
    [MP.image]: { data: image.pixels, dims: [1, C, H, W] },
    [MP.blurred]: { data: gaussianBlur(image.pixels, C, H, W, o.blurSigma), dims: [1, C, H, W] },
    [MP.target]: { data: onehot, dims: [1, c.numClasses] },
  };
  return {
    param,
    async evaluate(logits) {
      const r = await session.run({ ...feeds, [MP.w]: { data: logits, dims: [1, 1, ...param] } });
      return { loss: r[MP.loss]!.data[0]!, probability: r[MP.prob]!.data[0]!, grad: r[MP.grad]!.data };
    },
  };
}

/** Optimise the deletion-game mask for one image and target. */
export async function meaningfulPerturbation(
  engine: Engine,
  image: ImageInput,
  target: number,
  o: MeaningfulPerturbationOptions,
  control: Pick<MethodContext, 'signal' | 'onProgress' | 'onFrame'> = {},
): Promise<MeaningfulPerturbationRun> {
  const t0 = performance.now();
  const [H, W] = engine.classifier.spec.inputSize;
  const objective = await meaningfulPerturbationObjective(engine, image, target, o);
  const { param } = objective;
  const w = new Float32Array(param[0] * param[1]).fill(o.initLogit);
  const opt = adam(w.length, { lr: o.learningRate });
  const lossCurve: MeaningfulPerturbationRun['lossCurve'] = [];
  for (let it = 0; it < o.iterations; it++) {
    await stopPoint(control.signal);
    const r = await objective.evaluate(w);
    lossCurve.push({ loss: r.loss, probability: r.probability });
    if (control.onFrame) {
      const at = w.slice();
      control.onFrame({ iteration: it, iterations: o.iterations, total: r.loss, terms: { loss: r.loss }, targetProbability: r.probability, map: () => maskFromLogitsHost(at, 1, param, [H, W]).map((v) => 1 - v) });
    }
    opt.step(w, r.grad);
    control.onProgress?.(it + 1, o.iterations);
  }
  return { mask: maskFromLogitsHost(w, 1, param, [H, W]), lossCurve, seconds: (performance.now() - t0) / 1000 };
}

/** Meaningful Perturbation (Fong & Vedaldi 2017), deletion game: the map is 1 − m, what must go. */
export const meaningfulPerturbationMethod = defineMethod({
  name: 'meaningful-perturbation',
  description: 'Meaningful Perturbation (Fong & Vedaldi 2017): the smallest blur that deletes the class',
  options: MeaningfulPerturbationOptionsSchema,
  async explain(ctx, image, target, options) {
    const run = await meaningfulPerturbation(ctx.engine, image, target, options, ctx);
    const [H, W] = ctx.engine.classifier.spec.inputSize;
    return {
      method: 'meaningful-perturbation',
      map: run.mask.map((v) => 1 - v),
      height: H,
      width: W,
      target: { index: target, label: ctx.engine.classifier.labels?.[target] },
      cost: { forwardPasses: options.iterations, backwardPasses: options.iterations, seconds: run.seconds },
      options,
    };
  },
});
