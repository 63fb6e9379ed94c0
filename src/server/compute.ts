import { z } from 'zod';
import { loadImage, type ImageInput } from '../image/load.js';
import { deletionInsertion, type CausalCurve } from '../metrics/deletion-insertion.js';
import { maskArea } from '../metrics/mask-stats.js';
import { explain } from '../methods/explain.js';
import { neuromask } from '../methods/neuromask/neuromask.js';
import { neuromaskMethod } from '../methods/neuromask-method.js';
import { parseOptionsOf } from '../methods/parse-options.js';
import { requireMethod } from '../methods/registry.js';
import type { Engine } from '../runtime/engine.js';
import { argmax, toProbabilities } from '../util/softmax.js';
import { stopPoint } from '../util/stop-point.js';
import { bytesToBase64, f32ToBase64 } from './wire.js';

export const PredictRequestSchema = z.strictObject({ model: z.string().min(1), image: z.string().min(1) });

export const ExplainRequestSchema = z.strictObject({
  model: z.string().min(1),
  image: z.string().min(1),
  method: z.string().min(1),
  /** Class index; default: the prediction. */
  target: z.number().int().nonnegative().optional(),
  seed: z.number().int().nonnegative().default(0),
  options: z.record(z.string(), z.unknown()).default({}),
  /** NeuroMask: send the mask every `every` iterations. */
  every: z.number().int().min(1).max(1000).default(5),
  /** Deletion and insertion curves after the map. */
  metrics: z.boolean().default(true),
});
export type ExplainRequestBody = z.output<typeof ExplainRequestSchema>;

export interface Prediction {
  model: string;
  height: number;
  width: number;
  /** The model's input as RGB bytes (HxWx3), base64: what the maps are drawn over. */
  display: string;
  top5: { index: number; label: string | undefined; probability: number }[];
  labels: string[] | undefined;
  numClasses: number;
}

export async function prepareImage(engine: Engine, bytes: Uint8Array, name: string): Promise<ImageInput> {
  const img = await loadImage(bytes, engine.classifier.spec);
  return { ...img, source: name };
}

export async function predict(engine: Engine, image: ImageInput, model: string): Promise<Prediction> {
  const c = engine.classifier;
  const p = toProbabilities(await engine.forward(image.pixels, 1), c.outputKind);
  const top5 = [...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, 5).map((index) => ({ index, label: c.labels?.[index], probability: p[index]! }));
  return { model, height: image.height, width: image.width, display: bytesToBase64(image.display), top5, labels: c.labels, numClasses: c.numClasses };
}

/** What an explanation run streams to the page, in order: progress…, result, metrics?. */
export type ExplainEvent =
  | { event: 'progress'; data: { done: number; total: number } }
  | { event: 'frame'; data: { iteration: number; iterations: number; total: number; terms: Record<string, number>; targetProbability: number; area: number; mask?: string } }
  | { event: 'result'; data: ExplainResultWire }
  | { event: 'metrics'; data: { deletion: CausalCurve; insertion: CausalCurve } };

export interface ExplainResultWire {
  method: string;
  model: string;
  target: { index: number; label: string | undefined };
  height: number;
  width: number;
  /** Float32 little-endian, row-major H×W, base64. */
  map: string;
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

/** One explanation of `image`, its progress and result handed to `emit` as they come. */
export async function runExplanation(engine: Engine, image: ImageInput, req: ExplainRequestBody, signal: AbortSignal, emit: (e: ExplainEvent) => void): Promise<void> {
  const target = req.target ?? argmax(await engine.forward(image.pixels, 1));
  let map: Float32Array;
  let result: ExplainResultWire;
  const base = { model: req.model, seed: req.seed };
  if (req.method === 'neuromask') {
    const options = parseOptionsOf(neuromaskMethod, req.options) as Record<string, unknown>;
    const [e] = await neuromask(engine, [{ image, target }], { ...options, seed: req.seed, batchSize: 1 }, {
      signal,
      onProgress: (p) => {
        const mask = p.mask();
        const send = p.iteration % req.every === 0;
        emit({ event: 'frame', data: { iteration: p.iteration, iterations: p.iterations, total: p.total, terms: p.terms as Record<string, number>, targetProbability: p.targetProbability, area: maskArea(mask), ...(send ? { mask: f32ToBase64(mask) } : {}) } });
      },
    });
    map = e!.mask;
    result = {
      ...base, method: 'neuromask', target: e!.target, height: e!.height, width: e!.width, map: f32ToBase64(map), signed: false,
      seconds: e!.cost.seconds, forwardPasses: e!.cost.forwardPasses, backwardPasses: e!.cost.backwardPasses, options: { ...options },
      maskArea: e!.maskArea, probabilities: { original: e!.probabilities.original, masked: e!.probabilities.masked }, iterations: e!.iterations,
    };
  } else {
    requireMethod(req.method);
    const r = await explain(engine, image, { method: req.method, target, seed: req.seed, options: req.options, signal, onProgress: (done, total) => emit({ event: 'progress', data: { done, total } }) });
    map = r.map;
    result = {
      ...base, method: r.method, target: r.target, height: r.height, width: r.width, map: f32ToBase64(map), signed: map.some((v) => v < 0),
      seconds: r.cost.seconds, forwardPasses: r.cost.forwardPasses, backwardPasses: r.cost.backwardPasses, options: r.options,
    };
  }
  emit({ event: 'result', data: result });
  if (!req.metrics) return;
  await stopPoint(signal);
  const deletion = await deletionInsertion(engine, image, map, target, { mode: 'deletion' });
  await stopPoint(signal);
  const insertion = await deletionInsertion(engine, image, map, target, { mode: 'insertion' });
  emit({ event: 'metrics', data: { deletion, insertion } });
}
