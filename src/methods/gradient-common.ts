import { z } from 'zod';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { targetGradients } from '../runtime/gradients.js';
import type { MethodContext } from './method.js';
import type { TargetInfo } from './types.js';
import { stopPoint } from '../util/stop-point.js';

// Shared by the gradient-family methods (gradient, SmoothGrad, Integrated Gradients).

export const REDUCTIONS = ['max-abs', 'sum-abs', 'l2'] as const;
export type Reduction = (typeof REDUCTIONS)[number];
export const ReduceSchema = z.enum(REDUCTIONS).default('max-abs');

/** A CHW gradient (or average of gradients) to an H×W saliency map, one value per pixel. */
export function reduceChannels(g: ArrayLike<number>, channels: number, plane: number, reduce: Reduction): Float32Array {
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) {
      const v = g[c * plane + i]!;
      if (reduce === 'max-abs') acc = Math.max(acc, Math.abs(v));
      else if (reduce === 'sum-abs') acc += Math.abs(v);
      else acc += v * v;
    }
    out[i] = reduce === 'l2' ? Math.sqrt(acc) : acc;
  }
  return out;
}

export function targetInfo(engine: Engine, index: number): TargetInfo {
  return { index, label: engine.classifier.labels?.[index] };
}

/**
 * Gradients of the target logit for `count` inputs, `batchSize` per session run. Every run uses
 * the same batch size (the last is padded with zeros) so one cached session serves them all;
 * `fill(k, slot)` writes input k into its CHW slot, `visit(k, grad, logit)` sees its gradient.
 * Returns the number of images run (padding included: it is compute spent).
 */
export async function batchedGradients(
  ctx: MethodContext,
  count: number,
  batchSize: number,
  target: number,
  fill: (k: number, slot: Float32Array) => void,
  visit: (k: number, grad: Float32Array, logit: number) => void,
): Promise<number> {
  const { engine } = ctx;
  const [h, w] = engine.classifier.spec.inputSize;
  const size = engine.channels * h * w;
  const k = engine.classifier.numClasses;
  const n = Math.max(1, Math.min(batchSize, count));
  const runs = Math.ceil(count / n);
  const batch = new Float32Array(n * size);
  const targets = new Array<number>(n).fill(target);
  for (let r = 0; r < runs; r++) {
    await stopPoint(ctx.signal);
    const first = r * n;
    const used = Math.min(n, count - first);
    for (let j = 0; j < n; j++) {
      const slot = batch.subarray(j * size, (j + 1) * size);
      if (j < used) fill(first + j, slot);
      else slot.fill(0);
    }
    const { grad, logits } = await targetGradients(engine, batch, n, targets);
    for (let j = 0; j < used; j++) visit(first + j, grad.subarray(j * size, (j + 1) * size), logits[j * k + target]!);
    ctx.onProgress?.(r + 1, runs);
  }
  return runs * n;
}

