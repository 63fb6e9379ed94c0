export type * from './types.js';
export { readModel } from './read.js';
export { writeModel } from './write.js';
export { GraphBuilder } from './builder.js';
export { inferShapes, inferKnownShapes, type ShapeInfo } from './shapes.js';
export { constantFold, dequantize, foldBatchNorm, prepareGraph, pruneDead, withBatch } from './rewrites/index.js';
