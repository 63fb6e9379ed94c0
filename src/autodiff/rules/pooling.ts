import { attrInt } from '../../onnx/attrs.js';
import { floatTensor } from '../../onnx/tensor.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { mulScalar, reshapeTo } from '../helpers.js';
import { registerRule } from '../registry.js';

registerRule('MaxPool', (n, [gy], ctx) => {
  if (!gy) return [];
  if (attrInt(n, 'storage_order', 0) !== 0) throw new UnsupportedOpError('MaxPool', n.name, { detail: 'storage_order=1' });
  const x = n.inputs[0]!;
  const xs = ctx.shape(x);
  const total = xs.reduce((a, b) => a * b, 1);
  // Indices index the flattened input tensor, so one 1-D scatter-add routes every gradient.
  const indices = ctx.extraOutput(n, 1);
  const zeros = ctx.b.add('ConstantOfShape', [ctx.b.ints([total], 'shape')], { value: floatTensor([1], [0]) });
  const flatIdx = reshapeTo(ctx, indices, [-1]);
  const flatGy = reshapeTo(ctx, gy, [-1]);
  const g = ctx.b.add('ScatterElements', [zeros, flatIdx, flatGy], { axis: 0, reduction: 'add' });
  return [reshapeTo(ctx, g, xs)];
});

/** 1 / (number of input cells each output window averages), per output position. */
function inverseCounts(geo: ConvGeometry, inH: number, inW: number, outH: number, outW: number, includePad: boolean): Float32Array {
  const inv = new Float32Array(outH * outW);
  const [kh, kw] = geo.kernel;
  const [sh, sw] = geo.strides;
  const [pt, pl, pb, pr] = geo.pads;
  const span = (start: number, k: number, lo: number, hi: number): number => Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
  for (let oh = 0; oh < outH; oh++)
    for (let ow = 0; ow < outW; ow++) {
      const h0 = oh * sh - pt;
      const w0 = ow * sw - pl;
      const count = includePad
        ? span(h0, kh, -pt, inH + pb) * span(w0, kw, -pl, inW + pr)
        : span(h0, kh, 0, inH) * span(w0, kw, 0, inW);
      inv[oh * outW + ow] = count > 0 ? 1 / count : 0;
    }
  return inv;
}

registerRule('AveragePool', (n, [gy], ctx) => {
  if (!gy) return [];
  const x = n.inputs[0]!;
  const xs = ctx.shape(x);
  const ys = ctx.shape(n.outputs[0]!);
  if (xs.length !== 4) throw new UnsupportedOpError('AveragePool', n.name, { detail: 'only 2-D pooling is supported' });
  const geo = convGeometry(n, [], xs.slice(2), ys.slice(2));
  const [c, inH, inW] = [xs[1]!, xs[2]!, xs[3]!];
  const [outH, outW] = [ys[2]!, ys[3]!];
  const inv = inverseCounts(geo, inH, inW, outH, outW, attrInt(n, 'count_include_pad', 0) === 1);
  const scaled = ctx.b.add('Mul', [gy, ctx.b.floats([1, 1, outH, outW], inv, 'pool_inv_count')]);
  const [kh, kw] = geo.kernel;
  const ones = ctx.b.floats([c, 1, kh, kw], new Float32Array(c * kh * kw).fill(1), 'pool_ones');
  // Spread each output's share back over its window; extra end-padding crops ceil_mode overhang.
  const pads = [...geo.pads];
  const outputPadding = [0, 1].map((i) => {
    const natural = (ys[2 + i]! - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + 2]! + geo.kernel[i]!;
    const op = xs[2 + i]! - natural;
    if (op < 0) pads[i + 2] = pads[i + 2]! - op;
    return Math.max(0, op);
  });
  return [
    ctx.b.add('ConvTranspose', [scaled, ones], {
      group: c,
      kernel_shape: [kh, kw],
      strides: geo.strides,
      pads,
      output_padding: outputPadding,
    }),
  ];
});

registerRule('GlobalAveragePool', (n, [gy], ctx) => {
  if (!gy) return [];
  const xs = ctx.shape(n.inputs[0]!);
  const area = xs.slice(2).reduce((a, b) => a * b, 1);
  return [ctx.b.add('Expand', [mulScalar(ctx, gy, 1 / area), ctx.b.ints([...xs], 'shape')])];
});

registerRule('GlobalMaxPool', (n, [gy], ctx) => {
  if (!gy) return [];
  const [x, y] = [n.inputs[0]!, n.outputs[0]!];
  // Ties share the gradient equally (a subgradient), instead of each receiving all of it.
  const hit = ctx.b.add('Cast', [ctx.b.add('Equal', [x, y])], { to: 1 });
  const rank = ctx.shape(x).length;
  const ties = ctx.b.add('ReduceSum', [hit, ctx.b.ints([...Array(rank).keys()].slice(2), 'axes')], { keepdims: 1 });
  return [ctx.b.add('Mul', [hit, ctx.b.add('Div', [gy, ties])])];
});
