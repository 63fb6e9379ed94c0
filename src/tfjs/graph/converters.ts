import { float } from '../../onnx/builder.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import type { Tensor } from '../../onnx/types.js';
import { permute } from '../../util/permute.js';
import { activation } from '../activations.js';
import { convKernel, depthwiseKernel, nchwBroadcastConst, storedAxis, windowAttrs, type ImportContext, type Padding, type Value } from '../context.js';
import { attrBool, attrFloat, attrInts, attrString, attrStrings, type TfNode } from './attrs.js';

/** A TF tensor during import: a graph value, or a constant kept on the host until an op needs it. */
export type Operand = { kind: 'value'; value: Value } | { kind: 'const'; tensor: Tensor };

export type OpConverter = (ctx: ImportContext, node: TfNode, inputs: Operand[]) => Operand;

const val = (value: Value): Operand => ({ kind: 'value', value });

function fail(node: TfNode, detail: string): never {
  throw new UnsupportedOpError(node.op, node.name, { detail });
}

function value(node: TfNode, o: Operand | undefined, i: number): Value {
  if (!o) fail(node, `input ${i} is missing`);
  if (o.kind !== 'value') fail(node, `input ${i} is a constant; only constant weights are supported there`);
  return o.value;
}

function constant(node: TfNode, o: Operand | undefined, i: number): Tensor {
  if (!o) fail(node, `input ${i} is missing`);
  if (o.kind !== 'const') fail(node, `input ${i} must be a constant (weights, axes or shapes computed at run time are not supported)`);
  return o.tensor;
}

const ints = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number>, Number);

/** A constant as a graph input, laid out to broadcast against a value of rank `rank`. */
function materialize(ctx: ImportContext, t: Tensor, rank: number): string {
  return ctx.floatConst(rank === 4 ? nchwBroadcastConst(t) : t, 'c');
}

function padding(node: TfNode): Padding {
  const p = attrString(node, 'padding', 'VALID');
  if (p === 'SAME') return 'same';
  if (p === 'VALID') return 'valid';
  if (p === 'EXPLICIT') {
    const e = attrInts(node, 'explicit_paddings') ?? [];
    return { pads: [e[2] ?? 0, e[4] ?? 0, e[3] ?? 0, e[5] ?? 0] };
  }
  return fail(node, `padding ${p}`);
}

function spatial(node: TfNode, name: string): [number, number] {
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') fail(node, `data_format ${attrString(node, 'data_format', '')} (only NHWC)`);
  const v = attrInts(node, name) ?? [1, 1, 1, 1];
  return [v[1] ?? 1, v[2] ?? 1];
}

/** BiasAdd and an activation fused into Conv2D / MatMul by the TF.js converter. */
function fused(ctx: ImportContext, node: TfNode, y: Value, extra: Operand[], biasDone = false): Value {
  let out = y;
  const ops = attrStrings(node, 'fused_ops');
  let arg = biasDone ? 1 : 0;
  for (const op of biasDone ? ops.slice(1) : ops) {
    if (op === 'BiasAdd') {
      out = { name: ctx.b.add('Add', [out.name, materialize(ctx, constant(node, extra[arg], 2 + arg), out.rank)]), rank: out.rank };
      arg++;
    } else if (op === 'Relu' || op === 'Relu6' || op === 'Elu' || op === 'Sigmoid' || op === 'Tanh' || op === 'Selu') {
      out = activation(ctx, out, op, node.name);
    } else if (op === 'LeakyRelu') {
      out = activation(ctx, out, 'leakyrelu', node.name, { alpha: attrFloat(node, 'leakyrelu_alpha', 0.2) });
    } else fail(node, `fused op ${op}`);
  }
  return out;
}

const conv = (depthwise: boolean): OpConverter => (ctx, node, inputs) => {
  const x = value(node, inputs[0], 0);
  const f = constant(node, inputs[1], 1);
  const k = depthwise ? depthwiseKernel(f) : convKernel(f);
  const group = depthwise ? f.dims[2]! : 1;
  const attrs = { ...windowAttrs(spatial(node, 'strides'), padding(node), spatial(node, 'dilations'), k.dims.slice(2)), group };
  const ins = [x.name, ctx.floatConst(k, `${node.name}_W`)];
  // A fused BiasAdd becomes the Conv's own bias (one op fewer, and Conv+Clip still fuses in ONNX Runtime).
  const biasFirst = attrStrings(node, 'fused_ops')[0] === 'BiasAdd';
  if (biasFirst) ins.push(ctx.floatConst(constant(node, inputs[2], 2), `${node.name}_B`));
  const y = { name: ctx.b.add('Conv', ins, attrs), rank: 4 };
  return val(fused(ctx, node, y, inputs.slice(2), biasFirst));
};

const matmul: OpConverter = (ctx, node, inputs) => {
  const a = value(node, inputs[0], 0);
  if (attrBool(node, 'transpose_a', false)) fail(node, 'transpose_a');
  let w = constant(node, inputs[1], 1);
  if (attrBool(node, 'transpose_b', false)) {
    const p = permute(w.data as Float32Array, w.dims, [1, 0]);
    w = { dtype: 'float32', dims: p.dims, data: p.data };
  }
  const y = { name: ctx.b.add('MatMul', [a.name, ctx.floatConst(w, `${node.name}_W`)]), rank: a.rank };
  return val(fused(ctx, node, y, inputs.slice(2)));
};

const binary = (op: string): OpConverter => (ctx, node, inputs) => {
  const [p, q] = [inputs[0], inputs[1]];
  if (!p || !q) fail(node, 'needs two inputs');
  if (p.kind === 'const' && q.kind === 'const') fail(node, 'both inputs are constants');
  const rank = Math.max(p.kind === 'value' ? p.value.rank : 0, q.kind === 'value' ? q.value.rank : 0);
  const name = (o: Operand): string => (o.kind === 'value' ? o.value.name : materialize(ctx, o.tensor, rank));
  return val({ name: ctx.b.add(op, [name(p), name(q)]), rank });
};

const unary = (kind: string): OpConverter => (ctx, node, inputs) => {
  const alpha = node.attr?.['alpha']?.f;
  return val(activation(ctx, value(node, inputs[0], 0), kind, node.name, alpha === undefined ? {} : { alpha }));
};

const pool = (op: 'MaxPool' | 'AveragePool'): OpConverter => (ctx, node, inputs) => {
  const x = value(node, inputs[0], 0);
  return val({ name: ctx.b.add(op, [x.name], { kernel_shape: spatial(node, 'ksize'), ...windowAttrs(spatial(node, 'strides'), padding(node)) }), rank: 4 });
};

/** Reduce/squeeze a rank-4 value: straight in NCHW when H and W both go, else in TF order (so the kept axes keep TF's order). */
function axesFor(ctx: ImportContext, x: Value, axes: number[], keep: boolean): { input: Value; axes: number[] } {
  const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
  if (x.rank !== 4 || keep || (norm.includes(1) && norm.includes(2))) return { input: x, axes: norm.map((a) => storedAxis(a, x.rank)) };
  return { input: ctx.inTfOrder(x), axes: norm };
}

const reduce = (op: 'ReduceMean' | 'ReduceMax' | 'ReduceSum'): OpConverter => (ctx, node, inputs) => {
  const x0 = value(node, inputs[0], 0);
  const keep = attrBool(node, 'keep_dims', false);
  const { input, axes } = axesFor(ctx, x0, ints(constant(node, inputs[1], 1)), keep);
  const rank = keep ? x0.rank : x0.rank - new Set(axes).size;
  // Opset 13: ReduceSum takes axes as an input, the others as an attribute.
  const y = op === 'ReduceSum'
    ? ctx.b.add(op, [input.name, ctx.ints(axes, 'axes')], { keepdims: keep ? 1 : 0 })
    : ctx.b.add(op, [input.name], { axes, keepdims: keep ? 1 : 0 });
  return val({ name: y, rank });
};

const squeeze: OpConverter = (ctx, node, inputs) => {
  const x0 = value(node, inputs[0], 0);
  const dims = attrInts(node, 'squeeze_dims') ?? attrInts(node, 'axis') ?? [];
  if (!dims.length) fail(node, 'squeeze without explicit dimensions');
  const { input, axes } = axesFor(ctx, x0, dims, false);
  return val({ name: ctx.b.add('Squeeze', [input.name, ctx.ints(axes, 'axes')]), rank: x0.rank - axes.length });
};

const reshape: OpConverter = (ctx, node, inputs) => {
  const x = ctx.inTfOrder(value(node, inputs[0], 0));
  const shape = ints(constant(node, inputs[1], 1));
  return val(ctx.fromTfOrder(ctx.b.add('Reshape', [x.name, ctx.ints(shape)]), shape.length));
};

const concat: OpConverter = (ctx, node, inputs) => {
  const axisT = constant(node, inputs[inputs.length - 1], inputs.length - 1);
  const parts = inputs.slice(0, -1).map((o, i) => value(node, o, i));
  const rank = parts[0]?.rank ?? fail(node, 'no inputs');
  return val({ name: ctx.b.add('Concat', parts.map((p) => p.name), { axis: storedAxis(ints(axisT)[0]!, rank) }), rank });
};

const pad = (mode: 'constant' | 'reflect'): OpConverter => (ctx, node, inputs) => {
  const x = value(node, inputs[0], 0);
  const p = ints(constant(node, inputs[1], 1));
  const r = x.rank;
  const order = r === 4 ? [0, 3, 1, 2] : Array.from({ length: r }, (_, i) => i);
  const pads = [...order.map((a) => p[2 * a]!), ...order.map((a) => p[2 * a + 1]!)];
  const ins = [x.name, ctx.ints(pads, 'pads')];
  if (inputs[2]) ins.push(ctx.b.scalar(ints(constant(node, inputs[2], 2))[0] ?? 0));
  const m = mode === 'reflect' && attrString(node, 'mode', 'REFLECT') !== 'REFLECT' ? fail(node, `mode ${attrString(node, 'mode', '')}`) : mode;
  return val({ name: ctx.b.add('Pad', ins, { mode: m }), rank: r });
};

const batchNorm: OpConverter = (ctx, node, inputs) => {
  const x = value(node, inputs[0], 0);
  if (attrBool(node, 'is_training', false)) fail(node, 'is_training = true');
  const ins = [1, 2, 3, 4].map((i) => ctx.floatConst(constant(node, inputs[i], i), `${node.name}_${i}`));
  return val({ name: ctx.b.add('BatchNormalization', [x.name, ...ins], { epsilon: float(attrFloat(node, 'epsilon', 1e-3)) }), rank: x.rank });
};

const softmax: OpConverter = (ctx, node, inputs) => {
  const x = value(node, inputs[0], 0);
  return val({ name: ctx.b.add('Softmax', [x.name], { axis: x.rank === 4 ? 1 : -1 }), rank: x.rank });
};

const passThrough: OpConverter = (_ctx, node, inputs) => inputs[0] ?? fail(node, 'no input');

export const OP_CONVERTERS: Readonly<Record<string, OpConverter>> = {
  Identity: passThrough,
  StopGradient: passThrough,
  Conv2D: conv(false),
  _FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2dNative: conv(true),
  MatMul: matmul,
  _FusedMatMul: matmul,
  BiasAdd: binary('Add'),
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Relu: unary('relu'),
  Relu6: unary('relu6'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Elu: unary('elu'),
  Selu: unary('selu'),
  Softplus: unary('softplus'),
  LeakyRelu: unary('leakyrelu'),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax'),
  Sum: reduce('ReduceSum'),
  Squeeze: squeeze,
  Reshape: reshape,
  ConcatV2: concat,
  Pad: pad('constant'),
  PadV2: pad('constant'),
  MirrorPad: pad('reflect'),
  FusedBatchNorm: batchNorm,
  FusedBatchNormV3: batchNorm,
  Softmax: softmax,
};
