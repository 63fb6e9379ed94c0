import { floatTensor } from '../../onnx/tensor.js';
import { attrInt, normAxis } from '../helpers.js';
import { registerRule } from '../registry.js';

// TopK values are x gathered at Indices along the axis: each gradient goes back to where its
// value came from (indices are distinct within a slice, so a plain scatter suffices).
registerRule('TopK', (n, [gy], ctx) => {
  if (!gy) return [];
  const xs = ctx.shape(n.inputs[0]!);
  const axis = normAxis(attrInt(n, 'axis', -1), xs.length);
  const indices = ctx.extraOutput(n, 1);
  const zeros = ctx.b.add('ConstantOfShape', [ctx.b.ints([...xs], 'shape')], { value: floatTensor([1], [0]) });
  return [ctx.b.add('ScatterElements', [zeros, indices, gy], { axis }), undefined];
});
