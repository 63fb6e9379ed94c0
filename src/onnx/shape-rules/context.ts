import type { EvalContext } from '../eval/evaluate.js';
import type { DType, Node } from '../types.js';

export interface ShapeInfo { dtype: DType; dims: number[] }

export interface ShapeContext extends EvalContext {
  /** Dtype and dims of the node's input `i`; throws if absent. */
  input(i: number): ShapeInfo;
}

export type ShapeRule = (n: Node, c: ShapeContext) => ShapeInfo[];
