import type { GraphBuilder } from '../onnx/builder.js';
import type { DType, Node, Tensor } from '../onnx/types.js';

/** What a vector-Jacobian rule may ask about the forward graph while it emits backward nodes. */
export interface GradContext {
  readonly b: GraphBuilder;
  /** Static dims of any forward tensor. */
  shape(name: string): readonly number[];
  dtype(name: string): DType;
  /** The value of a forward tensor when it is a constant (initializer). */
  constant(name: string): Tensor | undefined;
  /** Whether the gradient of this forward tensor is wanted (it depends on a `wrt` tensor). */
  needsGrad(name: string): boolean;
  /** A forward output of `node` that the rule needs but the node does not yet produce (e.g. MaxPool Indices). */
  extraOutput(node: Node, index: number): string;
}

/**
 * Given the gradients flowing into the node's outputs (undefined = zero), return one gradient
 * name per input (undefined where none is needed or it is zero).
 */
export type VjpRule = (node: Node, gys: readonly (string | undefined)[], ctx: GradContext) => readonly (string | undefined)[];
