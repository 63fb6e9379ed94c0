import { attrInt, attrInts } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import { normAxis, mulScalar, reshapeTo } from '../helpers.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';
import type { Node } from '../../onnx/types.js';

/**
 * The reduced axes of a Reduce* node (attribute, or constant input from opset 13/18) and the
 * kept-dims shape; `noop` when no axes are given and `noop_with_empty_axes` makes it the identity.
 */
function reduction(n: Node, ctx: GradContext): { xs: readonly number[]; axes: number[]; kept: number[]; noop: boolean } {
  const xs = ctx.shape(n.inputs[0]!);
  const axesInput = n.inputs[1] ? ctx.constant(n.inputs[1]) : undefined;
  const listed = axesInput ? toNumbers(axesInput) : attrInts(n, 'axes');
  const none = !listed || listed.length === 0;
  const axes = none ? [...xs.keys()] : listed.map((a) => normAxis(a, xs.length));
  return { xs, axes, kept: xs.map((d, i) => (axes.includes(i) ? 1 : d)), noop: none && attrInt(n, 'noop_with_empty_axes', 0) === 1 };
}

registerRule(['ReduceMean', 'ReduceSum'], (n, [gy], ctx) => {
  if (!gy) return [];
  const { xs, axes, kept, noop } = reduction(n, ctx);
  if (noop) return [gy];
  const count = axes.reduce((p, a) => p * xs[a]!, 1);
  const g = n.opType === 'ReduceMean' ? mulScalar(ctx, gy, 1 / count) : gy;
  const shaped = attrInt(n, 'keepdims', 1) === 1 ? g : reshapeTo(ctx, g, kept);
  return [ctx.b.add('Expand', [shaped, ctx.b.ints([...xs], 'shape')])];
});

// The gradient goes to the elements equal to the extreme; ties share it equally.
registerRule(['ReduceMax', 'ReduceMin'], (n, [gy], ctx) => {
  if (!gy) return [];
  const { axes, kept, noop } = reduction(n, ctx);
  if (noop) return [gy];
  const keep = attrInt(n, 'keepdims', 1) === 1;
  const y = keep ? n.outputs[0]! : reshapeTo(ctx, n.outputs[0]!, kept);
  const g = keep ? gy : reshapeTo(ctx, gy, kept);
  const hit = ctx.b.add('Cast', [ctx.b.add('Equal', [n.inputs[0]!, y])], { to: 1 });
  const ties = ctx.b.add('ReduceSum', [hit, ctx.b.ints(axes, 'axes')], { keepdims: 1 });
  return [ctx.b.add('Mul', [hit, ctx.b.add('Div', [g, ties])])];
});

registerRule('Softmax', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const axis = normAxis(attrInt(n, 'axis', -1), ctx.shape(y).length);
  const dot = ctx.b.add('ReduceSum', [ctx.b.add('Mul', [gy, y]), ctx.b.ints([axis], 'axes')], { keepdims: 1 });
  return [ctx.b.add('Mul', [y, ctx.b.add('Sub', [gy, dot])])];
});

registerRule('LogSoftmax', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const axis = normAxis(attrInt(n, 'axis', -1), ctx.shape(y).length);
  const total = ctx.b.add('ReduceSum', [gy, ctx.b.ints([axis], 'axes')], { keepdims: 1 });
  return [ctx.b.add('Sub', [gy, ctx.b.add('Mul', [ctx.b.add('Exp', [y]), total])])];
});
