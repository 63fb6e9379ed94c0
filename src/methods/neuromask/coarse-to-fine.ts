import type { Optimizer } from './optimizer.js';

/**
 * Coarse-to-fine optimisation on one parameter grid: during a stage with block size b, every b×b
 * block of logits moves together, as if the mask lived on a grid b times coarser (nearest
 * upsampled): the block's gradient is the sum of its cells' gradients, so its sign is consistent
 * and the optimiser moves it at full rate, where single cells would still be dithering.
 */
export function stageAt(stages: readonly number[], it: number, iterations: number): { block: number; index: number } {
  if (stages.length === 0) return { block: 1, index: 0 };
  const index = Math.min(stages.length - 1, Math.floor((it * stages.length) / iterations));
  return { block: stages[index]!, index };
}

/** Sum of `grad` ([h, w]) over b×b blocks → [ceil(h/b), ceil(w/b)]. */
export function poolBlocks(grad: Float32Array, h: number, w: number, b: number): Float32Array {
  const ch = Math.ceil(h / b);
  const cw = Math.ceil(w / b);
  const out = new Float32Array(ch * cw);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[Math.floor(y / b) * cw + Math.floor(x / b)]! += grad[y * w + x]!;
  return out;
}

/** One optimiser step of the coarse parameters whose change is added to every cell of its block. */
export function coarseStep(opt: Optimizer, w: Float32Array, grad: Float32Array, h: number, wd: number, b: number, lr: number): void {
  const pooled = poolBlocks(grad, h, wd, b);
  const delta = new Float32Array(pooled.length);
  opt.step(delta, pooled, lr);
  const cw = Math.ceil(wd / b);
  for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) w[y * wd + x]! += delta[Math.floor(y / b) * cw + Math.floor(x / b)]!;
}
