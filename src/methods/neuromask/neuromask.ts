import type { ImageInput } from '../../image/load.js';
import { makeBaseline } from '../../image/baseline.js';
import { labelIndex } from '../../models/labels.js';
import type { PreprocessSpec } from '../../models/spec.js';
import type { EngineCore as Engine } from '../../runtime/engine-core.js';
import { uniform } from '../../util/random.js';
import { argmax, toProbabilities } from '../../util/softmax.js';
import { modelOutputInfo, type ClassProbability, type Cost, type ModelOutputInfo, type TargetInfo } from '../types.js';
import { resolveConfig } from './config.js';
import type { ObjectiveWeights } from './objective.js';
import { NeuroMaskOptionsSchema, type NeuroMaskOptions, type NeuroMaskOptionsInput } from './options.js';
import { adam, rmsprop, type Optimizer } from './optimizer.js';
import { maskFromLogitsHost, paramSize } from './parameterization.js';
import type { NeuroMaskConfig } from './presets.js';
import { buildStepGraph, STEP } from './step-graph.js';
import { stopPoint } from '../../util/stop-point.js';
import { ConvergenceMonitor } from './convergence.js';
import { scheduledRate } from './schedule.js';
import { coarseStep, stageAt } from './coarse-to-fine.js';
import { refinedMaps } from './refine.js';

export interface NeuroMaskItem {
  image: ImageInput;
  /** Class index or label; default: the model's prediction on the unmasked image. */
  target?: number | string;
  /** Initial mask logits on the parameter grid (e.g. from a .npy), overriding `init`. */
  initLogits?: Float32Array;
}

export interface LossPoint {
  iteration: number;
  total: number;
  terms: Partial<Record<keyof ObjectiveWeights, number>>;
  /** Target probability on the masked image at this iteration. */
  targetProbability: number;
}

export interface NeuroMaskProgress extends LossPoint {
  item: number;
  iterations: number;
  /** The item's mask at this iteration (before its update), at input resolution; computed on demand. */
  mask(): Float32Array;
}

export interface RunControl {
  onProgress?: (p: NeuroMaskProgress) => void;
  signal?: AbortSignal;
  /** Awaited before every step: a run pauses while the promise it returns is pending (the web app's Pause). */
  gate?: () => Promise<void>;
}

export interface Explanation {
  method: 'neuromask';
  model: string;
  modelOutput: ModelOutputInfo;
  /** The classifier's preprocessing, as its card or the caller's overrides gave it. */
  preprocess: PreprocessSpec;
  image: string;
  height: number;
  width: number;
  /** The learnt mask at input resolution, row-major, in [0,1]. */
  mask: Float32Array;
  /**
   * The saliency map: the mask refined inside the kept region (config.refine; the mask itself
   * when its weight is 0). Methods' metrics rank pixels by it; values in [0, 1 + weight].
   */
  map: Float32Array;
  /** The mask parameters (logits) on their grid. */
  maskLogits: Float32Array;
  paramShape: [number, number];
  target: TargetInfo;
  probabilities: {
    /** Target probability on the unmasked image. */
    original: number;
    /** Target probability on the masked image with the final mask. */
    masked: number;
    top5: ClassProbability[];
  };
  maskArea: number;
  /** Optimisation steps taken (fewer than configured when the mask converged first). */
  iterations: number;
  lossCurve: LossPoint[];
  history: { iteration: number; mask: Float32Array }[];
  cost: Cost;
  timings: { prepareMs: number; optimiseMs: number; msPerStep: number };
  options: NeuroMaskOptions;
  config: NeuroMaskConfig;
  seed: number;
  versions: Record<string, string>;
}

function makeOptimizer(cfg: NeuroMaskConfig, size: number): Optimizer {
  return cfg.optimizer === 'adam' ? adam(size, { lr: cfg.learningRate }) : rmsprop(size, { lr: cfg.learningRate });
}

function initialLogits(cfg: NeuroMaskConfig, size: number, seed: number): Float32Array {
  if (cfg.init.kind === 'constant') return new Float32Array(size).fill(cfg.init.value);
  return uniform(size, -cfg.weightLimit, cfg.weightLimit, seed);
}

function topK(p: Float64Array, labels: string[] | undefined, k: number): ClassProbability[] {
  return [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, k).map((index) => ({ index, label: labels?.[index], probability: p[index]! }));
}

/** Explain many images (or many targets/restarts of one image), `batchSize` masks per session run. */
export async function neuromask(engine: Engine, items: readonly NeuroMaskItem[], input: NeuroMaskOptionsInput = {}, control: RunControl = {}): Promise<Explanation[]> {
  const options = NeuroMaskOptionsSchema.parse(input);
  const out: Explanation[] = [];
  for (let i = 0; i < items.length; i += options.batchSize) {
    const chunk = items.slice(i, i + options.batchSize);
    const wrapped: RunControl = { ...control };
    if (control.onProgress) wrapped.onProgress = (p) => control.onProgress!({ ...p, item: p.item + i });
    out.push(...(await runChunk(engine, chunk, options, wrapped)));
  }
  return out;
}

async function runChunk(engine: Engine, items: readonly NeuroMaskItem[], options: NeuroMaskOptions, control: RunControl): Promise<Explanation[]> {
  const t0 = performance.now();
  const c = engine.classifier;
  const [H, W] = c.spec.inputSize;
  const ch = c.spec.channels === 'grey' ? 1 : 3;
  const K = c.numClasses;
  const n = items.length;
  const cfg = resolveConfig(options, c.spec.inputSize);
  const param: [number, number] = [paramSize(H, cfg.maskScale), paramSize(W, cfg.maskScale)];
  const P = param[0] * param[1];

  const image = new Float32Array(n * ch * H * W);
  const baseline = new Float32Array(n * ch * H * W);
  items.forEach((it, k) => {
    image.set(it.image.pixels, k * ch * H * W);
    baseline.set(makeBaseline(cfg.baseline, it.image.pixels, ch, H, W, cfg.blurSigma), k * ch * H * W);
  });
  const original = await engine.forward(image, n);
  const originalP = items.map((_, k) => toProbabilities(original.subarray(k * K, (k + 1) * K), c.outputKind));
  const targets = items.map((it, k) => (it.target === undefined ? argmax(originalP[k]!) : labelIndex(c, it.target)));
  const onehot = new Float32Array(n * K);
  targets.forEach((t, k) => (onehot[k * K + t] = 1));

  const w = new Float32Array(n * P);
  items.forEach((it, k) => {
    if (it.initLogits && it.initLogits.length !== P) {
      throw new RangeError(`initial mask logits have ${it.initLogits.length} values; this configuration needs ${param[0]}×${param[1]} = ${P}`);
    }
    w.set(it.initLogits ?? initialLogits(cfg, P, options.seed), k * P);
  });

  const deletion = cfg.weights.deletion !== 0;
  const modelBatch = deletion ? 2 * n : n;
  const key = `neuromask-step:${JSON.stringify({ step: cfg.weights, T: cfg.temperature, L: cfg.weightLimit, lap: cfg.laplacianSize, smooth: cfg.smoothness, param })}`;
  const session = await engine.session(key, String(n), async () =>
    buildStepGraph({
      model: await engine.prepare(modelBatch),
      webgpu: engine.runtime.ep === 'webgpu',
      inputName: c.inputName,
      outputName: c.outputName,
      outputKind: c.outputKind,
      spec: c.spec,
      batch: n,
      numClasses: K,
      paramShape: param,
      temperature: cfg.temperature,
      weightLimit: cfg.weightLimit,
      laplacianSize: cfg.laplacianSize,
      smoothness: cfg.smoothness,
      weights: cfg.weights,
    }),
  );
  const termNames = (Object.keys(cfg.weights) as (keyof ObjectiveWeights)[]).filter((k) => cfg.weights[k] !== 0);
  const feeds = {
    [STEP.image]: { data: image, dims: [n, ch, H, W] },
    [STEP.baseline]: { data: baseline, dims: [n, ch, H, W] },
    [STEP.target]: { data: onehot, dims: [n, K] },
  };
  let stage = -1;
  let opts: Optimizer[] = [];
  const slice = (a: Float32Array, k: number): Float32Array => a.subarray(k * P, (k + 1) * P);
  const monitors = items.map((_, k) => new ConvergenceMonitor(slice(w, k), cfg.temperature, cfg.tolerance, cfg.patience));
  /** Steps taken by each item; an item stops early once its mask is still (cfg.tolerance). */
  const steps = items.map(() => cfg.iterations);
  const active = new Set(items.keys());
  const curves: LossPoint[][] = items.map(() => []);
  const history: { iteration: number; mask: Float32Array }[][] = items.map(() => []);
  // Items that stopped early keep their final mask in later snapshots.
  const record = (at: number): void => {
    if (options.historyEvery > 0 && at % options.historyEvery === 0) {
      for (let k = 0; k < n; k++) history[k]!.push({ iteration: at, mask: maskFromLogitsHost(slice(w, k), cfg.temperature, param, [H, W]) });
    }
  };
  const t1 = performance.now();

  const evaluate = async (): Promise<Record<string, { data: Float32Array }>> =>
    session.run({ ...feeds, [STEP.w]: { data: w, dims: [n, 1, ...param] } });

  let step = 0;
  for (; step < cfg.iterations && active.size > 0; step++) {
    await control.gate?.();
    await stopPoint(control.signal);
    record(step);
    const r = await evaluate();
    const logits = r[STEP.logits]!.data;
    const grad = r[STEP.grad]!.data;
    const lr = scheduledRate(cfg.schedule, cfg.learningRate, step, cfg.iterations);
    // Each coarse-to-fine stage starts its own optimiser state on its own grid.
    const { block, index } = stageAt(cfg.stages, step, cfg.iterations);
    if (index !== stage) {
      stage = index;
      opts = items.map(() => makeOptimizer(cfg, paramSize(param[0], block) * paramSize(param[1], block)));
    }
    for (const k of [...active]) {
      const p = toProbabilities(logits.subarray(k * K, (k + 1) * K), c.outputKind);
      const terms: LossPoint['terms'] = {};
      for (const t of termNames) terms[t] = r[STEP.term(t)]!.data[k]!;
      const point = { iteration: step, total: r[STEP.loss]!.data[k]!, terms, targetProbability: p[targets[k]!]! };
      curves[k]!.push(point);
      control.onProgress?.({ ...point, item: k, iterations: cfg.iterations, mask: () => maskFromLogitsHost(slice(w, k), cfg.temperature, param, [H, W]) });
      if (block === 1) opts[k]!.step(slice(w, k), slice(grad, k), lr);
      else coarseStep(opts[k]!, slice(w, k), slice(grad, k), param[0], param[1], block, lr);
      if (monitors[k]!.update(slice(w, k))) {
        steps[k] = step + 1;
        active.delete(k);
      }
    }
  }
  record(step);
  const final = await evaluate();
  const t2 = performance.now();

  const finalLogits = final[STEP.logits]!.data;
  const masks = items.map((_, k) => maskFromLogitsHost(slice(w, k), cfg.temperature, param, [H, W]));
  const refined = cfg.refine.weight > 0;
  const maps = refined ? await refinedMaps(engine, masks, image, baseline, targets, ch, [H, W], cfg.refine) : masks;
  const t3 = performance.now();
  return items.map((it, k) => {
    const logitsK = w.slice(k * P, (k + 1) * P);
    const mask = masks[k]!;
    const pMasked = toProbabilities(finalLogits.subarray(k * K, (k + 1) * K), c.outputKind);
    const t = targets[k]!;
    return {
      method: 'neuromask' as const,
      model: c.name,
      modelOutput: modelOutputInfo(c),
      preprocess: c.spec,
      image: it.image.source,
      height: H,
      width: W,
      mask,
      map: maps[k]!,
      maskLogits: logitsK,
      paramShape: param,
      target: { index: t, label: c.labels?.[t] },
      probabilities: { original: originalP[k]![t]!, masked: pMasked[t]!, top5: topK(originalP[k]!, c.labels, 5) },
      maskArea: mask.reduce((a, v) => a + v, 0) / mask.length,
      lossCurve: curves[k]!,
      history: history[k]!,
      iterations: steps[k]!,
      cost: { forwardPasses: (steps[k]! + 1) * (deletion ? 2 : 1) + 1 + (refined ? 1 : 0), backwardPasses: steps[k]! + (refined ? 1 : 0), seconds: (t3 - t0) / 1000 / n },
      timings: { prepareMs: (t1 - t0) / n, optimiseMs: (t2 - t1) / n, msPerStep: (t2 - t1) / (step + 1) },
      options,
      config: cfg,
      seed: options.seed,
      versions: engine.platform.versions(),
    };
  });
}
