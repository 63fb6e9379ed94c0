import { buildGradient } from '../../autodiff/index.js';
import { GraphBuilder } from '../../onnx/builder.js';
import type { Graph } from '../../onnx/types.js';
import type { PreprocessSpec } from '../../models/spec.js';
import { buildObjective, type ObjectiveWeights, type SmoothnessKind } from './objective.js';
import { maskFromLogits } from './parameterization.js';

export interface StepGraphConfig {
  /** Prepared model graph (float32, static batch = `batch`, or 2×batch with the deletion term). */
  model: Graph;
  inputName: string;
  outputName: string;
  outputKind: 'logits' | 'probabilities';
  spec: PreprocessSpec;
  batch: number;
  numClasses: number;
  paramShape: [number, number];
  temperature: number;
  weightLimit: number;
  laplacianSize: 3 | 5;
  smoothness: SmoothnessKind;
  weights: ObjectiveWeights;
  /** The session runs on WebGPU: use the WebGPU-safe gradient rules. */
  webgpu?: boolean;
}

/** Feed and fetch names of a NeuroMask step session. */
export const STEP = {
  w: 'nm_mask_logits',
  image: 'nm_image',
  baseline: 'nm_baseline',
  target: 'nm_target',
  loss: 'nm_loss',
  logits: 'nm_logits',
  grad: 'nm_mask_logits_grad',
  term: (k: string): string => `nm_loss_${k}`,
} as const;

/** image ([N,C,H,W] in [0,1]) → the model's own input tensor: (x − mean)/std, channel layout. */
export function normaliseInto(b: GraphBuilder, x: string, spec: PreprocessSpec, c: number, out: string): void {
  const mean = Array.from({ length: c }, (_, i) => spec.mean[i] ?? spec.mean[0]!);
  const std = Array.from({ length: c }, (_, i) => spec.std[i] ?? spec.std[0]!);
  let y = x;
  if (mean.some((m) => m !== 0)) y = b.add('Sub', [y, b.floats([1, c, 1, 1], mean, 'mean')]);
  if (std.some((s) => s !== 1)) y = b.add('Mul', [y, b.floats([1, c, 1, 1], std.map((s) => 1 / s), 'inv_std')]);
  if (spec.layout === 'nhwc') b.push('Transpose', [y], [out], { perm: [0, 2, 3, 1] });
  else b.push('Identity', [y], [out]);
}

/**
 * One graph computing, for N masks at once: the masked images, the model, each loss term,
 * their sum and its gradient for the mask logits. Samples are independent: the scalar that is
 * differentiated is the sum of the per-sample losses.
 */
export function buildStepGraph(cfg: StepGraphConfig): Graph {
  const [H, W] = cfg.spec.inputSize;
  const c = cfg.spec.channels === 'grey' ? 1 : 3;
  const n = cfg.batch;
  const deletion = cfg.weights.deletion !== 0;
  const { b, appendModel } = GraphBuilder.aroundModel(cfg.model);

  const w = b.input(STEP.w, 'float32', [n, 1, ...cfg.paramShape]);
  const x = b.input(STEP.image, 'float32', [n, c, H, W]);
  const base = b.input(STEP.baseline, 'float32', [n, c, H, W]);
  const target = b.input(STEP.target, 'float32', [n, cfg.numClasses]);

  const m = maskFromLogits(b, w, cfg.temperature, cfg.paramShape, [H, W]);
  // Perturb in [0,1] pixel space, before the model's normalisation (reference semantics).
  const diff = b.add('Sub', [x, base]);
  let masked = b.add('Add', [base, b.add('Mul', [m, diff])]);
  if (deletion) {
    const complement = b.add('Sub', [x, b.add('Mul', [m, diff])]);
    masked = b.add('Concat', [masked, complement], { axis: 0 });
  }
  normaliseInto(b, masked, cfg.spec, c, cfg.inputName);
  appendModel();

  let logits = cfg.outputName;
  let deletionLogits: string | undefined;
  if (deletion) {
    [logits, deletionLogits] = b.addMulti('Split', [cfg.outputName, b.ints([n, n], 'split')], { axis: 0 }, 2) as [string, string];
  }
  const obj = buildObjective(
    b,
    { w, mask: m, logits, ...(deletionLogits ? { deletionLogits } : {}), target, probabilities: cfg.outputKind === 'probabilities' },
    cfg.weights,
    cfg.weightLimit,
    cfg.laplacianSize,
    cfg.smoothness,
  );
  b.push('Identity', [obj.total], [STEP.loss]);
  b.output(STEP.loss, 'float32', [n]);
  b.push('Identity', [logits], [STEP.logits]);
  b.output(STEP.logits, 'float32', [n, cfg.numClasses]);
  for (const [k, t] of Object.entries(obj.terms)) {
    b.push('Identity', [t], [STEP.term(k)]);
    b.output(STEP.term(k), 'float32', [n]);
  }
  const scalar = b.add('ReduceSum', [STEP.loss], { keepdims: 0 });
  return buildGradient(b.build('neuromask_step'), { of: scalar, wrt: [w], names: { [w]: STEP.grad }, webgpu: cfg.webgpu === true }).graph;
}
