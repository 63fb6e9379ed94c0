import { attrInt, attrInts } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import { normAxis, mulScalar, reshapeTo } from '../helpers.js';
import { registerRule } from '../registry.js';

registerRule(['ReduceMean', 'ReduceSum'], (n, [gy], ctx) => {
  if (!gy) return [];
  const xs = ctx.shape(n.inputs[0]!);
  const axesInput = n.inputs[1] ? ctx.constant(n.inputs[1]) : undefined;
  const listed = axesInput ? toNumbers(axesInput) : attrInts(n, 'axes');
  const axes = listed && listed.length > 0 ? listed.map((a) => normAxis(a, xs.length)) : [...xs.keys()];
  const kept = xs.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((p, a) => p * xs[a]!, 1);
  const g = n.opType === 'ReduceMean' ? mulScalar(ctx, gy, 1 / count) : gy;
  const shaped = attrInt(n, 'keepdims', 1) === 1 ? g : reshapeTo(ctx, g, kept);
  return [ctx.b.add('Expand', [shaped, ctx.b.ints([...xs], 'shape')])];
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
