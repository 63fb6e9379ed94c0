import type { Graph } from '../types.js';
import { constantFold } from './constant-fold.js';
import { dequantize } from './dequantize.js';
import { withBatch } from './fix-batch.js';
import { foldBatchNorm } from './fold-batchnorm.js';

export { constantFold } from './constant-fold.js';
export { dequantize } from './dequantize.js';
export { withBatch, withInputShape } from './fix-batch.js';
export { foldBatchNorm } from './fold-batchnorm.js';
export { pruneDead } from './prune.js';
export { stripFinalSoftmax } from './strip-softmax.js';
export { upgradeToOpset13 } from './upgrade-opset.js';

/** The rewrites of `prepareGraph` in order, one stage each (a caller may check for Ctrl-C between them). */
export function prepareSteps(batch: number): ((g: Graph) => Graph)[] {
  return [(g) => withBatch(g, batch), dequantize, constantFold, foldBatchNorm, constantFold];
}

/** A loaded model made ready for differentiation: static batch, float32, folded constants and BNs. */
export function prepareGraph(g: Graph, { batch }: { batch: number }): Graph {
  return prepareSteps(batch).reduce((acc, step) => step(acc), g);
}
