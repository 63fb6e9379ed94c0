import { attrInt } from '../../onnx/attrs.js';
import { floatTensor } from '../../onnx/tensor.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { convGeometry, type ConvGeometry } from '../conv-geometry.js';
import { mulScalar, reshapeTo } from '../helpers.js';
import { registerRule, registerWebgpuRule } from '../registry.js';

/** The default: the Indices output routes each gradient (fastest on CPU: unfolding costs the fashion model's NeuroMask step ~1.4×). */
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

/** Where MaxPool pads: below any float a model computes, finite so that 0 × pad stays 0 in the unfolding Conv. */
const PAD_VALUE = -3.4e38;

/**
 * MaxPool's input gradient without its `Indices` output (which the WebGPU providers reject):
 * each window is unfolded by a Conv with one-hot kernels ([N·C, kh·kw, OH, OW], exact copies of
 * the inputs), compared with the window's max, and the output gradient is shared among the cells
 * equal to it, then folded back by the matching ConvTranspose. Where a window has one max this is
 * the Indices rule exactly; ties share the gradient equally (a subgradient too) instead of the
 * first cell taking all of it. Every op here runs on wasm and WebGPU alike; used for graphs built
 * for WebGPU (`buildGradient(..., { webgpu: true })`).
 */
registerWebgpuRule('MaxPool', (n, [gy], ctx) => {
  if (!gy) return [];
  if (attrInt(n, 'storage_order', 0) !== 0) throw new UnsupportedOpError('MaxPool', n.name, { detail: 'storage_order=1' });
  const [x, y] = [n.inputs[0]!, n.outputs[0]!];
  const xs = ctx.shape(x);
  const ys = ctx.shape(y);
  if (xs.length !== 4) throw new UnsupportedOpError('MaxPool', n.name, { detail: 'only 2-D pooling is supported' });
  const geo = convGeometry(n, [], xs.slice(2), ys.slice(2));
  const [kh, kw] = geo.kernel;
  const k = kh * kw;
  const nc = xs[0]! * xs[1]!;
  const [oh, ow] = [ys[2]!, ys[3]!];
  const onehot = new Float32Array(k * k);
  for (let i = 0; i < k; i++) onehot[i * k + i] = 1;
  const unfold = ctx.b.floats([k, 1, kh, kw], onehot, 'maxpool_unfold');
  const [pt, pl, pb, pr] = geo.pads;
  // The extent the windows cover; ceil_mode windows may run past the padded input: pad that too.
  const extent = [0, 1].map((i) => ([oh, ow][i]! - 1) * geo.strides[i]! + geo.dilations[i]! * (geo.kernel[i]! - 1) + 1);
  const end = [0, 1].map((i) => Math.max(0, extent[i]! - (xs[2 + i]! + geo.pads[i]! + geo.pads[i + 2]!)));
  const padEnd = [pb + end[0]!, pr + end[1]!];
  const x1 = reshapeTo(ctx, x, [nc, 1, xs[2]!, xs[3]!]);
  const padded = ctx.b.add('Pad', [x1, ctx.b.ints([0, 0, pt, pl, 0, 0, padEnd[0]!, padEnd[1]!], 'pads'), ctx.b.scalar(PAD_VALUE, 'maxpool_pad')]);
  const conv = { kernel_shape: [kh, kw], strides: geo.strides, dilations: geo.dilations };
  const patches = ctx.b.add('Conv', [padded, unfold], { ...conv, pads: [0, 0, 0, 0], group: 1 });
  const hit = ctx.b.add('Cast', [ctx.b.add('Equal', [patches, reshapeTo(ctx, y, [nc, 1, oh, ow])])], { to: 1 });
  const ties = ctx.b.add('ReduceSum', [hit, ctx.b.ints([1], 'axes')], { keepdims: 1 });
  const share = ctx.b.add('Mul', [hit, ctx.b.add('Div', [reshapeTo(ctx, gy, [nc, 1, oh, ow]), ties])]);
  // Fold back onto the padded input, with the padding (and any rows no window reached) cropped by
  // pads and output_padding, as ConvTranspose computes its output size.
  const pads = [pt, pl, padEnd[0]!, padEnd[1]!];
  const outputPadding = [0, 1].map((i) => {
    const natural = extent[i]! - pads[i]! - pads[i + 2]!;
    const op = xs[2 + i]! - natural;
    if (op < 0) pads[i + 2] = pads[i + 2]! - op;
    return Math.max(0, op);
  });
  const gx = ctx.b.add('ConvTranspose', [share, unfold], { ...conv, pads, output_padding: outputPadding, group: 1 });
  return [reshapeTo(ctx, gx, xs)];
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
      dilations: [1, 1],
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
