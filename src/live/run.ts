import { z } from 'zod';
import type { ImageInput } from '../image/geometry.js';
import { deletionInsertion, type CausalCurve } from '../metrics/deletion-insertion.js';
import { maskArea } from '../metrics/mask-stats.js';
import { explain } from '../methods/explain.js';
import { neuromask } from '../methods/neuromask/neuromask.js';
import { neuromaskMethod } from '../methods/neuromask-method.js';
import { parseOptionsOf } from '../methods/parse-options.js';
import { requireMethod } from '../methods/registry.js';
import type { EngineCore } from '../runtime/engine-core.js';
import { argmax, toProbabilities } from '../util/softmax.js';
import { stopPoint } from '../util/stop-point.js';

/**
 * A live explanation, the same on both platforms: the server runs it on Node's engine and streams
 * its events over SSE; the page runs it on onnxruntime-web and hands the events to the same view.
 */
export const LiveRequestSchema = z.strictObject({
  model: z.string().min(1),
  image: z.string().min(1),
  method: z.string().min(1),
  /** Class index; default: the prediction. */
  target: z.number().int().nonnegative().optional(),
  seed: z.number().int().nonnegative().default(0),
  options: z.record(z.string(), z.unknown()).default({}),
  /** NeuroMask, extremal and meaningful perturbation: hand over the mask every `every` iterations. */
  every: z.number().int().min(1).max(1000).default(5),
  /** Deletion and insertion curves after the map. */
  metrics: z.boolean().default(true),
});
export type LiveRequest = z.output<typeof LiveRequestSchema>;

export interface ClassScore {
  index: number;
  label: string | undefined;
  probability: number;
}

export interface LivePrediction {
  model: string;
  height: number;
  width: number;
  /** The model's input as RGB bytes (H×W×3): what the maps are drawn over. */
  display: Uint8Array;
  top5: ClassScore[];
  labels: string[] | undefined;
  numClasses: number;
}

export interface LiveFrame {
  iteration: number;
  iterations: number;
  total: number;
  terms: Record<string, number>;
  /** The target's probability on the masked image (NeuroMask), on the perturbed one (meaningful perturbation); absent for extremal perturbation. */
  targetProbability?: number;
  /** The mask's mean; absent on frames without a mask (other methods than NeuroMask). */
  area?: number;
  /** Every `every` iterations: the mask (H×W) at this iteration. */
  mask?: Float32Array;
}

export interface LiveResult {
  method: string;
  model: string;
  target: { index: number; label: string | undefined };
  height: number;
  width: number;
  /** Row-major H×W. */
  map: Float32Array;
  signed: boolean;
  seconds: number;
  forwardPasses: number;
  backwardPasses: number;
  options: Record<string, unknown>;
  seed: number;
  /** NeuroMask only. */
  maskArea?: number;
  probabilities?: { original: number; masked: number };
  iterations?: number;
}

export type LiveEvent =
  | { event: 'progress'; data: { done: number; total: number } }
  | { event: 'frame'; data: LiveFrame }
  | { event: 'result'; data: LiveResult }
  | { event: 'metrics'; data: { deletion: CausalCurve; insertion: CausalCurve } };

export async function livePredict(engine: EngineCore, image: ImageInput, model: string): Promise<LivePrediction> {
  const c = engine.classifier;
  const p = toProbabilities(await engine.forward(image.pixels, 1), c.outputKind);
  const top5 = [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, 5).map((index) => ({ index, label: c.labels?.[index], probability: p[index]! }));
  return { model, height: image.height, width: image.width, display: image.display, top5, labels: c.labels, numClasses: c.numClasses };
}

/** One explanation of `image`, its progress and result handed to `emit` as they come. */
export async function runLive(engine: EngineCore, image: ImageInput, req: LiveRequest, signal: AbortSignal, emit: (e: LiveEvent) => void, gate?: () => Promise<void>): Promise<void> {
  const target = req.target ?? argmax(await engine.forward(image.pixels, 1));
  let result: LiveResult;
  // What deletion/insertion rank: NeuroMask's refined map (as compare scores it); the page shows its mask.
  let scored: Float32Array;
  const base = { model: req.model, seed: req.seed };
  if (req.method === 'neuromask') {
    const options = parseOptionsOf(neuromaskMethod, req.options) as Record<string, unknown>;
    const [e] = await neuromask(engine, [{ image, target }], { ...options, seed: req.seed, batchSize: 1 }, {
      signal,
      ...(gate ? { gate } : {}),
      onProgress: (p) => {
        const mask = p.mask();
        const send = p.iteration % req.every === 0;
        emit({ event: 'frame', data: { iteration: p.iteration, iterations: p.iterations, total: p.total, terms: p.terms as Record<string, number>, targetProbability: p.targetProbability, area: maskArea(mask), ...(send ? { mask } : {}) } });
      },
    });
    result = {
      ...base, method: 'neuromask', target: e!.target, height: e!.height, width: e!.width, map: e!.mask, signed: false,
      seconds: e!.cost.seconds, forwardPasses: e!.cost.forwardPasses, backwardPasses: e!.cost.backwardPasses, options: { ...options },
      maskArea: e!.maskArea, probabilities: { original: e!.probabilities.original, masked: e!.probabilities.masked }, iterations: e!.iterations,
    };
    scored = e!.map;
  } else {
    requireMethod(req.method);
    const r = await explain(engine, image, {
      method: req.method, target, seed: req.seed, options: req.options, signal,
      onProgress: (done, total) => emit({ event: 'progress', data: { done, total } }),
      onFrame: (f) => {
        const mask = f.iteration % req.every === 0 ? f.map() : undefined;
        const p = f.targetProbability !== undefined ? { targetProbability: f.targetProbability } : {};
        emit({ event: 'frame', data: { iteration: f.iteration, iterations: f.iterations, total: f.total, terms: f.terms, ...p, ...(mask ? { mask, area: maskArea(mask) } : {}) } });
      },
    });
    result = {
      ...base, method: r.method, target: r.target, height: r.height, width: r.width, map: r.map, signed: r.map.some((v) => v < 0),
      seconds: r.cost.seconds, forwardPasses: r.cost.forwardPasses, backwardPasses: r.cost.backwardPasses, options: r.options,
    };
    scored = r.map;
  }
  emit({ event: 'result', data: result });
  if (!req.metrics) return;
  await stopPoint(signal);
  const deletion = await deletionInsertion(engine, image, scored, target, { mode: 'deletion' });
  await stopPoint(signal);
  const insertion = await deletionInsertion(engine, image, scored, target, { mode: 'insertion' });
  emit({ event: 'metrics', data: { deletion, insertion } });
}
