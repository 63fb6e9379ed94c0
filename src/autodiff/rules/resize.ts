import { attrInt, attrString } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { resizeMatrix } from '../resize-weights.js';
import { registerRule } from '../registry.js';

/**
 * Resize (nearest, linear) is linear in its input with weights fixed by the static shapes, and
 * separable: along each of the two last axes it is a matrix A, so dx = Aᵀ·gy, two MatMuls.
 */
registerRule('Resize', (n, [gy], ctx) => {
  if (!gy) return [];
  const fail = (detail: string): never => {
    throw new UnsupportedOpError('Resize', n.name, { detail });
  };
  const x = n.inputs[0]!;
  const xs = ctx.shape(x);
  const ys = ctx.shape(n.outputs[0]!);
  // Opset 10: (X, scales); from 11: (X, roi, scales, sizes).
  const scalesName = n.inputs.length === 2 ? n.inputs[1] : n.inputs[2];
  const scalesT = scalesName ? ctx.constant(scalesName) : undefined;
  const scales = scalesT && scalesT.dims[0] !== 0 ? toNumbers(scalesT) : xs.map((d, i) => ys[i]! / d);
  if (attrString(n, 'coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') fail('tf_crop_and_resize is not supported');
  if (attrInt(n, 'antialias', 0) !== 0) fail('antialias is not supported');
  if (n.attrs.axes) fail('the axes attribute (opset 18) is not supported');
  const rank = xs.length;
  let g = gy;
  for (let i = 0; i < rank; i++) {
    if (xs[i] === ys[i] && scales[i] === 1) continue;
    if (i < rank - 2) fail(`only the last two axes may be resized (axis ${i} changes)`);
    let w: Float32Array;
    try {
      w = resizeMatrix({
        inLen: xs[i]!,
        outLen: ys[i]!,
        scale: scales[i]!,
        mode: attrString(n, 'mode', 'nearest'),
        transform: attrString(n, 'coordinate_transformation_mode', 'half_pixel'),
        nearestMode: attrString(n, 'nearest_mode', 'round_prefer_floor'),
      });
    } catch (e) {
      return fail((e as Error).message);
    }
    const a = ctx.b.floats([ys[i]!, xs[i]!], w, 'resize_weights');
    // Height: Aᵀ [in, out] · g [.., out, W]; width: g [.., out] · A [out, in].
    g = i === rank - 1 ? ctx.b.add('MatMul', [g, a]) : ctx.b.add('MatMul', [ctx.b.add('Transpose', [a], { perm: [1, 0] }), g]);
  }
  return [g];
});
