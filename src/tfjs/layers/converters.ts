import { float } from '../../onnx/builder.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import type { Tensor } from '../../onnx/types.js';
import { activation } from '../activations.js';
import { convKernel, depthwiseKernel, storedAxis, windowAttrs, type ImportContext, type Padding, type Value } from '../context.js';

export interface LayerSpec {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

/** Converts one call of a Keras layer; inputs in call order. */
export type LayerConverter = (ctx: ImportContext, layer: LayerSpec, inputs: Value[]) => Value;

const pair = (v: unknown, dflt: number): [number, number] => {
  if (v === undefined || v === null) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? dflt, a[1] ?? a[0] ?? dflt];
};

function first(inputs: Value[], layer: LayerSpec): Value {
  const v = inputs[0];
  if (!v) throw new UnsupportedOpError(layer.className, layer.name, { detail: 'layer has no input' });
  return v;
}

function needImage(v: Value, layer: LayerSpec): void {
  if (v.rank !== 4) throw new UnsupportedOpError(layer.className, layer.name, { detail: `expects a rank-4 image tensor, got rank ${v.rank}` });
  const fmt = layer.config['data_format'];
  if (fmt !== undefined && fmt !== null && fmt !== 'channels_last') throw new UnsupportedOpError(layer.className, layer.name, { detail: `data_format ${String(fmt)} (only channels_last)` });
}

function padding(layer: LayerSpec): Padding {
  const p = String(layer.config['padding'] ?? 'valid').toLowerCase();
  if (p !== 'same' && p !== 'valid') throw new UnsupportedOpError(layer.className, layer.name, { detail: `padding '${p}'` });
  return p;
}

const w = (ctx: ImportContext, layer: LayerSpec, n: string): Tensor => ctx.weight(`${layer.name}/${n}`, `${layer.className} layer '${layer.name}'`);

function withActivation(ctx: ImportContext, layer: LayerSpec, v: Value): Value {
  const a = layer.config['activation'];
  return typeof a === 'string' ? activation(ctx, v, a, layer.name) : v;
}

function conv(ctx: ImportContext, layer: LayerSpec, x: Value, kernel: Tensor, group: number, bias: Tensor | undefined, strides = pair(layer.config['strides'], 1)): Value {
  const ins = [x.name, ctx.floatConst(kernel, `${layer.name}_W`)];
  if (bias) ins.push(ctx.floatConst(bias, `${layer.name}_B`));
  const attrs = { ...windowAttrs(strides, padding(layer), pair(layer.config['dilation_rate'], 1), kernel.dims.slice(2)), group };
  return { name: ctx.b.add('Conv', ins, attrs), rank: 4 };
}

const useBias = (layer: LayerSpec): boolean => layer.config['use_bias'] !== false;

const conv2d: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const groups = Number(layer.config['groups'] ?? 1);
  const y = conv(ctx, layer, x, convKernel(w(ctx, layer, 'kernel')), groups, useBias(layer) ? w(ctx, layer, 'bias') : undefined);
  return withActivation(ctx, layer, y);
};

const depthwise: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  // One group per input channel: the kernel [kh, kw, in, multiplier] says how many (TF.js's SeparableConv2D does not save depth_multiplier).
  const dw = w(ctx, layer, 'depthwise_kernel');
  const y = conv(ctx, layer, x, depthwiseKernel(dw), dw.dims[2]!, useBias(layer) ? w(ctx, layer, 'bias') : undefined);
  return withActivation(ctx, layer, y);
};

const separable: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const dw = w(ctx, layer, 'depthwise_kernel');
  const d = conv(ctx, layer, x, depthwiseKernel(dw), dw.dims[2]!, undefined);
  const pw = convKernel(w(ctx, layer, 'pointwise_kernel'));
  const ins = [d.name, ctx.floatConst(pw, `${layer.name}_PW`)];
  if (useBias(layer)) ins.push(ctx.floatConst(w(ctx, layer, 'bias'), `${layer.name}_B`));
  return withActivation(ctx, layer, { name: ctx.b.add('Conv', ins, { strides: [1, 1] }), rank: 4 });
};

const dense: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  const kernel = ctx.floatConst(w(ctx, layer, 'kernel'), `${layer.name}_W`);
  const bias = useBias(layer) ? ctx.floatConst(w(ctx, layer, 'bias'), `${layer.name}_B`) : undefined;
  let y: Value;
  if (x.rank === 2) {
    y = { name: ctx.b.add('Gemm', bias ? [x.name, kernel, bias] : [x.name, kernel]), rank: 2 };
  } else {
    // Dense acts on TF's last axis, so work in TF order.
    const t = ctx.inTfOrder(x);
    const m = ctx.b.add('MatMul', [t.name, kernel]);
    y = ctx.fromTfOrder(bias ? ctx.b.add('Add', [m, bias]) : m, x.rank);
  }
  return withActivation(ctx, layer, y);
};

const batchNorm: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  const axis = layer.config['axis'];
  const ax = Array.isArray(axis) ? axis[0] : axis ?? -1;
  if (storedAxis(Number(ax), x.rank) !== 1) {
    throw new UnsupportedOpError(layer.className, layer.name, { detail: `normalises axis ${String(ax)} of a rank-${x.rank} tensor (only the channel axis)` });
  }
  const mean = w(ctx, layer, 'moving_mean');
  const n = mean.dims[0]!;
  const ones = { dtype: 'float32' as const, dims: [n], data: new Float32Array(n).fill(1) };
  const zeros = { dtype: 'float32' as const, dims: [n], data: new Float32Array(n) };
  const scale = layer.config['scale'] === false ? ones : w(ctx, layer, 'gamma');
  const center = layer.config['center'] === false ? zeros : w(ctx, layer, 'beta');
  const ins = [x.name, ctx.floatConst(scale, `${layer.name}_scale`), ctx.floatConst(center, `${layer.name}_bias`), ctx.floatConst(mean, `${layer.name}_mean`), ctx.floatConst(w(ctx, layer, 'moving_variance'), `${layer.name}_var`)];
  return { name: ctx.b.add('BatchNormalization', ins, { epsilon: float(Number(layer.config['epsilon'] ?? 1e-3)) }), rank: x.rank };
};

/** Keras ReLU: x ≥ threshold ? x : slope·(x − threshold), then capped at max_value. */
const relu: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  const b = ctx.b;
  const max = layer.config['max_value'];
  const slope = Number(layer.config['negative_slope'] ?? 0);
  const threshold = Number(layer.config['threshold'] ?? 0);
  let y: string;
  // ReLU6 and friends: one Clip, which ONNX Runtime fuses into the Conv before it.
  if (threshold === 0 && slope === 0 && typeof max === 'number') return { name: b.add('Clip', [x.name, b.scalar(0), b.scalar(max)]), rank: x.rank };
  if (threshold === 0 && slope === 0) y = b.add('Relu', [x.name]);
  else if (threshold === 0) y = b.add('LeakyRelu', [x.name], { alpha: float(slope) });
  else {
    const t = b.scalar(threshold);
    const below = b.add('Mul', [b.add('Sub', [x.name, t]), b.scalar(slope)]);
    y = b.add('Where', [b.add('GreaterOrEqual', [x.name, t]), x.name, below]);
  }
  // Without a floor, no min input: a ±3.4e38 bound would swamp the float32 mask in Clip's gradient.
  if (typeof max === 'number') y = b.add('Clip', [y, slope === 0 && threshold >= 0 ? b.scalar(0) : '', b.scalar(max)]);
  return { name: y, rank: x.rank };
};

const simpleActivation = (kind: string, alphaKey?: string): LayerConverter => (ctx, layer, inputs) => {
  const a = alphaKey ? layer.config[alphaKey] : undefined;
  return activation(ctx, first(inputs, layer), kind, layer.name, typeof a === 'number' ? { alpha: a } : {});
};

const pool = (op: 'MaxPool' | 'AveragePool'): LayerConverter => (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const k = pair(layer.config['pool_size'], 2);
  const s = layer.config['strides'] === null || layer.config['strides'] === undefined ? k : pair(layer.config['strides'], 1);
  return { name: ctx.b.add(op, [x.name], { kernel_shape: k, ...windowAttrs(s, padding(layer)) }), rank: 4 };
};

const globalPool = (op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter => (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const y = ctx.b.add(op, [x.name]);
  if (layer.config['keepdims'] === true) return { name: y, rank: 4 };
  return { name: ctx.b.add('Flatten', [y], { axis: 1 }), rank: 2 };
};

const flatten: LayerConverter = (ctx, layer, inputs) => {
  const x = ctx.inTfOrder(first(inputs, layer));
  return { name: ctx.b.add('Flatten', [x.name], { axis: 1 }), rank: 2 };
};

const reshape: LayerConverter = (ctx, layer, inputs) => {
  const target = layer.config['target_shape'] as number[];
  const x = ctx.inTfOrder(first(inputs, layer));
  const y = ctx.b.add('Reshape', [x.name, ctx.ints([0, ...target])]);
  return ctx.fromTfOrder(y, target.length + 1);
};

const identity: LayerConverter = (_ctx, layer, inputs) => first(inputs, layer);

const merge = (op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min'): LayerConverter => (ctx, layer, inputs) => {
  let acc = first(inputs, layer);
  for (const v of inputs.slice(1)) acc = { name: ctx.b.add(op, [acc.name, v.name]), rank: Math.max(acc.rank, v.rank) };
  return acc;
};

const average: LayerConverter = (ctx, layer, inputs) => {
  const sum = merge('Add')(ctx, layer, inputs);
  return { name: ctx.b.add('Mul', [sum.name, ctx.b.scalar(1 / inputs.length)]), rank: sum.rank };
};

const concatenate: LayerConverter = (ctx, layer, inputs) => {
  const rank = first(inputs, layer).rank;
  const axis = storedAxis(Number(layer.config['axis'] ?? -1), rank);
  return { name: ctx.b.add('Concat', inputs.map((v) => v.name), { axis }), rank };
};

const zeroPadding: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const p = layer.config['padding'];
  let t: number, bo: number, l: number, r: number;
  if (typeof p === 'number') [t, bo, l, r] = [p, p, p, p];
  else {
    const [h, wd] = p as (number | number[])[];
    [t, bo] = pair(h, 0);
    [l, r] = pair(wd, 0);
  }
  return { name: ctx.b.add('Pad', [x.name, ctx.ints([0, 0, t, l, 0, 0, bo, r], 'pads')]), rank: 4 };
};

const upsampling: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  needImage(x, layer);
  const [sh, sw] = pair(layer.config['size'], 2);
  const interp = String(layer.config['interpolation'] ?? 'nearest');
  const mode = interp === 'bilinear' ? 'linear' : interp === 'nearest' ? 'nearest' : undefined;
  if (!mode) throw new UnsupportedOpError(layer.className, layer.name, { detail: `interpolation '${interp}'` });
  const scales = ctx.b.floats([4], [1, 1, sh, sw], 'scales');
  // TF.js resizes with align_corners and half_pixel_centers both false (src = dst / scale) in both modes,
  // unlike Keras in Python, whose bilinear UpSampling2D samples half-pixel centres.
  const attrs = mode === 'nearest' ? { mode, nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric' } : { mode, coordinate_transformation_mode: 'asymmetric' };
  return { name: ctx.b.add('Resize', [x.name, '', scales], attrs), rank: 4 };
};

const rescaling: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  const scaled = ctx.b.add('Mul', [x.name, ctx.b.scalar(Number(layer.config['scale'] ?? 1))]);
  return { name: ctx.b.add('Add', [scaled, ctx.b.scalar(Number(layer.config['offset'] ?? 0))]), rank: x.rank };
};

const softmaxLayer: LayerConverter = (ctx, layer, inputs) => {
  const x = first(inputs, layer);
  const axis = storedAxis(Number(layer.config['axis'] ?? -1), x.rank);
  return { name: ctx.b.add('Softmax', [x.name], { axis }), rank: x.rank };
};

export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwise,
  SeparableConv2D: separable,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: (ctx, layer, inputs) => activation(ctx, first(inputs, layer), String(layer.config['activation'] ?? 'linear'), layer.name),
  ReLU: relu,
  LeakyReLU: simpleActivation('leakyrelu', 'alpha'),
  ELU: simpleActivation('elu', 'alpha'),
  Softmax: softmaxLayer,
  ZeroPadding2D: zeroPadding,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  UpSampling2D: upsampling,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Add: merge('Add'),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Average: average,
  Concatenate: concatenate,
};
