import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, float } from '../src/onnx/builder.js';
import { gradCheck, unary, w, type Case } from './helpers/grad-check.js';

const cases: Case[] = [
  { name: 'Conv 3x3 stride 1 pad 1', graph: unary((b, x) => b.add('Conv', [x, w(b, [4, 3, 3, 3], 1), w(b, [4], 2)], { pads: [1, 1, 1, 1] })) },
  { name: 'Conv 3x3 stride 2 pad 1', graph: unary((b, x) => b.add('Conv', [x, w(b, [4, 3, 3, 3], 3)], { pads: [1, 1, 1, 1], strides: [2, 2] })) },
  { name: 'Conv 3x3 stride 2 no pad (odd size)', graph: unary((b, x) => b.add('Conv', [x, w(b, [4, 3, 3, 3], 3)], { strides: [2, 2] }), [1, 3, 7, 7]) },
  { name: 'Conv depthwise (group=C)', graph: unary((b, x) => b.add('Conv', [x, w(b, [3, 1, 3, 3], 4)], { pads: [1, 1, 1, 1], group: 3 })) },
  { name: 'Conv depthwise stride 2', graph: unary((b, x) => b.add('Conv', [x, w(b, [3, 1, 3, 3], 5)], { pads: [1, 1, 1, 1], group: 3, strides: [2, 2] })) },
  { name: 'Conv grouped (2 groups, multiplier 2)', graph: unary((b, x) => b.add('Conv', [x, w(b, [4, 2, 3, 3], 6)], { pads: [1, 1, 1, 1], group: 2 }), [1, 4, 5, 5]) },
  { name: 'Conv dilated', graph: unary((b, x) => b.add('Conv', [x, w(b, [2, 3, 3, 3], 7)], { pads: [2, 2, 2, 2], dilations: [2, 2] })) },
  { name: 'Conv asymmetric pads 1x1', graph: unary((b, x) => b.add('Conv', [x, w(b, [2, 3, 1, 1], 8)], { pads: [0, 1, 1, 0] })) },
  { name: 'Conv auto_pad SAME_UPPER stride 2', graph: unary((b, x) => b.add('Conv', [x, w(b, [2, 3, 3, 3], 9)], { auto_pad: 'SAME_UPPER', strides: [2, 2] })) },
  { name: 'Relu', graph: unary((b, x) => b.add('Relu', [x])) },
  { name: 'Clip (ReLU6-like)', graph: unary((b, x) => b.add('Clip', [b.add('Mul', [x, b.scalar(4)]), b.scalar(0), b.scalar(6)])) },
  { name: 'Clip min only', graph: unary((b, x) => b.add('Clip', [x, b.scalar(-0.3)])) },
  { name: 'Clip with a float32-extreme lower bound', graph: unary((b, x) => b.add('Clip', [b.add('Mul', [x, b.scalar(4)]), b.scalar(-3.4e38), b.scalar(2)])) },
  { name: 'LeakyRelu', graph: unary((b, x) => b.add('LeakyRelu', [x], { alpha: float(0.1) })) },
  { name: 'Sigmoid', graph: unary((b, x) => b.add('Sigmoid', [x])) },
  { name: 'Tanh', graph: unary((b, x) => b.add('Tanh', [x])) },
  { name: 'HardSigmoid', graph: unary((b, x) => b.add('HardSigmoid', [x], { alpha: float(0.3), beta: float(0.5) })) },
  { name: 'HardSwish', graph: unary((b, x) => b.add('HardSwish', [b.add('Mul', [x, b.scalar(3)])])) },
  { name: 'Add broadcast [1,C,1,1]', graph: unary((b, x) => b.add('Add', [x, b.add('Mul', [x, w(b, [1, 3, 1, 1], 10)])])) },
  { name: 'Sub both sides', graph: unary((b, x) => b.add('Sub', [b.add('Sigmoid', [x]), b.add('Mul', [x, x])])) },
  { name: 'Mul broadcast (x · mean over channels)', graph: unary((b, x) => b.add('Mul', [x, b.add('ReduceMean', [x], { axes: [1], keepdims: 1 })])) },
  { name: 'Div (x / (1 + x²))', graph: unary((b, x) => b.add('Div', [x, b.add('Add', [b.add('Mul', [x, x]), b.scalar(1)])])) },
  { name: 'Div by broadcast constant', graph: unary((b, x) => b.add('Div', [x, b.floats([3, 1, 1], [0.5, 2, 3])])) },
  { name: 'MaxPool 2x2 stride 2', graph: unary((b, x) => b.add('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] })) },
  { name: 'MaxPool 3x3 stride 2 pad 1 (overlapping)', graph: unary((b, x) => b.add('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })) },
  { name: 'MaxPool 2x2 stride 2 ceil_mode on 5x5', graph: unary((b, x) => b.add('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), [1, 2, 5, 5]) },
  { name: 'MaxPool 2x2 stride 2 on 5x5 (last row and column in no window)', graph: unary((b, x) => b.add('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }), [1, 2, 5, 5]) },
  { name: 'MaxPool 2x2 dilations 2, asymmetric pads', graph: unary((b, x) => b.add('MaxPool', [x], { kernel_shape: [2, 2], dilations: [2, 2], pads: [0, 1, 1, 0] }), [1, 2, 6, 6]) },
  { name: 'AveragePool 2x2', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] })) },
  { name: 'AveragePool 3x3 pad 1 exclude pad', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })) },
  { name: 'AveragePool 3x3 s2 pad 1 include pad', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }), [1, 2, 7, 7]) },
  { name: 'AveragePool ceil_mode', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), [1, 2, 5, 5]) },
  { name: 'GlobalAveragePool', graph: unary((b, x) => b.add('GlobalAveragePool', [x])) },
  { name: 'GlobalMaxPool', graph: unary((b, x) => b.add('GlobalMaxPool', [x])) },
  { name: 'Gemm transB with bias', graph: unary((b, x) => b.add('Gemm', [b.add('Flatten', [x]), w(b, [5, 108], 11), w(b, [5], 12)], { transB: 1, alpha: float(0.7) })) },
  { name: 'Gemm plain', graph: unary((b, x) => b.add('Gemm', [b.add('Flatten', [x]), w(b, [108, 4], 13)])) },
  { name: 'MatMul', graph: unary((b, x) => b.add('MatMul', [b.add('Flatten', [x]), w(b, [108, 4], 14)])) },
  { name: 'MatMul batched both sides', graph: unary((b, x) => b.add('MatMul', [x, b.add('Transpose', [x], { perm: [0, 1, 3, 2] })])) },
  { name: 'Reshape + Transpose', graph: unary((b, x) => b.add('Transpose', [b.add('Reshape', [x, b.ints([2, 18, 6])])], { perm: [2, 0, 1] })) },
  { name: 'Concat (x, relu(x)) axis 1', graph: unary((b, x) => b.add('Concat', [x, b.add('Relu', [x])], { axis: 1 })) },
  { name: 'Squeeze / Unsqueeze', graph: unary((b, x) => b.add('Squeeze', [b.add('Unsqueeze', [x, b.ints([0])]), b.ints([0])])) },
  { name: 'Pad constant', graph: unary((b, x) => b.add('Sigmoid', [b.add('Pad', [x, b.ints([0, 0, 1, 2, 0, 0, 2, 1])])])) },
  { name: 'Slice', graph: unary((b, x) => b.add('Slice', [x, b.ints([1, 2]), b.ints([6, 5]), b.ints([2, 3])])) },
  { name: 'ReduceMean keepdims 0', graph: unary((b, x) => b.add('ReduceMean', [x], { axes: [2, 3], keepdims: 0 })) },
  { name: 'ReduceSum all', graph: unary((b, x) => b.add('ReduceSum', [b.add('Mul', [x, x])], { keepdims: 0 })) },
  { name: 'Softmax', graph: unary((b, x) => b.add('Softmax', [b.add('Flatten', [x])], { axis: 1 })) },
  { name: 'LogSoftmax', graph: unary((b, x) => b.add('LogSoftmax', [b.add('Flatten', [x])], { axis: -1 })) },
  { name: 'Identity + Dropout', graph: unary((b, x) => b.add('Dropout', [b.add('Identity', [x])])) },
  { name: 'Abs', graph: unary((b, x) => b.add('Abs', [x])) },
  { name: 'Exp / Log / Sqrt', graph: unary((b, x) => b.add('Sqrt', [b.add('Log', [b.add('Add', [b.add('Exp', [x]), b.scalar(1)])])])) },
  { name: 'Neg / Erf (GELU-style)', graph: unary((b, x) => b.add('Mul', [x, b.add('Erf', [b.add('Neg', [x])])])) },
  { name: 'Pow 3', graph: unary((b, x) => b.add('Pow', [x, b.scalar(3)])) },
  { name: 'Split into two', graph: unary((b, x) => b.addMulti('Split', [x, b.ints([1, 2])], { axis: 1 }, 2)[1]!) },
];

describe('gradient rules against central finite differences', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await gradCheck(c.graph(), c.h ? { h: c.h } : {});
      assert.ok(r.maxRelError < (c.tol ?? 2e-2), `relative error ${r.maxRelError}: analytic ${r.analytic} numeric ${r.numeric}`);
    });
  }
});

describe('MaxPool\'s WebGPU-safe gradient (no Indices output)', () => {
  for (const c of cases.filter((k) => k.name.startsWith('MaxPool'))) {
    it(`${c.name}: matches finite differences and the Indices rule`, async () => {
      const safe = await gradCheck(c.graph(), { webgpu: true });
      assert.ok(safe.maxRelError < 2e-2, `relative error ${safe.maxRelError}`);
      const indices = await gradCheck(c.graph());
      safe.analytic.forEach((v, i) => assert.ok(Math.abs(v - indices.analytic[i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `${v} vs ${indices.analytic[i]}`));
    });
  }
});

describe('one graph using every supported op', () => {
  it('matches finite differences end to end, and no op type goes untested', async () => {
    const used = new Set<string>();
    const b = new GraphBuilder();
    const add = (op: string, ins: string[], attrs: Parameters<GraphBuilder['add']>[2] = {}): string => (used.add(op), b.add(op, ins, attrs));
    const x = b.input('x', 'float32', [2, 3, 8, 8]);
    const c1 = add('Conv', [x, w(b, [4, 3, 3, 3], 31), w(b, [4], 32)], { pads: [1, 1, 1, 1] });
    const r1 = add('Relu', [c1]);
    const lr = add('LeakyRelu', [c1], { alpha: float(0.2) });
    const mp = add('MaxPool', [add('Add', [r1, lr])], { kernel_shape: [2, 2], strides: [2, 2] }); // [2,4,4,4]
    const dw = add('Conv', [mp, w(b, [4, 1, 3, 3], 33)], { group: 4, pads: [1, 1, 1, 1], strides: [2, 2] }); // [2,4,2,2]
    const cl = add('Clip', [add('Mul', [dw, b.scalar(3)]), b.scalar(0), b.scalar(6)]);
    const ap = add('AveragePool', [add('Pad', [cl, b.ints([0, 0, 1, 1, 0, 0, 1, 1])])], { kernel_shape: [2, 2], strides: [1, 1] }); // [2,4,3,3]
    const hs = add('HardSwish', [ap]);
    const hg = add('HardSigmoid', [ap], { alpha: float(0.3), beta: float(0.5) });
    const sg = add('Sigmoid', [hs]);
    const th = add('Tanh', [add('Sub', [hg, sg])]);
    const dv = add('Div', [th, add('Add', [add('Exp', [add('Neg', [th])]), b.scalar(1)])]);
    const [s1, s2] = (used.add('Split'), b.addMulti('Split', [dv, b.ints([2, 2])], { axis: 1 }, 2)) as [string, string];
    const cat = add('Concat', [add('Abs', [s1]), add('Erf', [s2]), add('Sqrt', [add('Add', [add('Pow', [s1, b.scalar(2)]), b.scalar(1)])])], { axis: 1 }); // [2,6,3,3]
    const sl = add('Slice', [cat, b.ints([0, 0]), b.ints([3, 3]), b.ints([2, 3])]);
    const sq = add('Squeeze', [add('Unsqueeze', [sl, b.ints([0])]), b.ints([0])]);
    const tr = add('Transpose', [sq], { perm: [0, 2, 3, 1] });
    const rs = add('Reshape', [tr, b.ints([2, 54])]);
    const gmp = add('Flatten', [add('GlobalMaxPool', [add('Add', [cat, w(b, [1, 6, 3, 3], 37)])])]); // offsets break ties
    const gap = add('Flatten', [add('GlobalAveragePool', [cat])]);
    // Ops of the wider families: an unfolded BN, Elu-like activations, Max/Min/Mean, Resize, LayerNorm.
    const bn = add('BatchNormalization', [cat, w(b, [6], 38), w(b, [6], 39), w(b, [6], 40), b.floats([6], [0.5, 1, 1.5, 2, 2.5, 3])]);
    const mx = add('Max', [add('Elu', [bn]), w(b, [1, 6, 1, 1], 41)]);
    const mean = add('Mean', [mx, add('Min', [add('Selu', [bn]), add('Softplus', [bn])])]);
    const rz = add('Resize', [mean, '', b.floats([4], [1, 1, 2, 2])], { mode: 'linear' }); // [2,6,6,6]
    const ln = add('LayerNormalization', [add('Transpose', [rz], { perm: [0, 2, 3, 1] }), w(b, [6], 42), w(b, [6], 43)]);
    const rmin = add('ReduceMin', [ln], { axes: [1, 2], keepdims: 0 }); // [2,6]
    const rmax = add('ReduceMax', [ln], { axes: [1, 2], keepdims: 0 });
    const gth = add('ReduceMean', [add('Gather', [add('TopK', [ln, b.ints([6])], { axis: 1, largest: 0 }), b.ints([0, 5, 5])], { axis: 1 })], { axes: [1, 2], keepdims: 0 }); // [2,6]
    const tiled = add('Tile', [add('Expand', [add('Reshape', [rmax, b.ints([2, 1, 6])]), b.ints([2, 2, 6])]), b.ints([1, 1, 2])]); // [2,2,12]
    const wide = add('Cast', [add('Flatten', [tiled], { axis: 1 })], { to: 1 }); // [2,24]
    const feat = add('Concat', [rs, add('Sum', [gmp, gap]), add('ReduceMean', [cat], { axes: [2, 3], keepdims: 0 }), rmin, gth, wide], { axis: 1 }); // [2,102]
    const gm = add('Gemm', [add('Dropout', [add('Identity', [feat])]), w(b, [5, 102], 34), w(b, [5], 35)], { transB: 1 });
    const mm = add('MatMul', [gm, w(b, [5, 5], 36)]);
    const sm = add('Softmax', [mm], { axis: 1 });
    const ls = add('LogSoftmax', [mm], { axis: 1 });
    const lg = add('Log', [add('Add', [sm, b.scalar(1)])]);
    const y = add('Where', [add('Greater', [mm, b.scalar(0)]), add('ReduceSum', [add('Mul', [ls, lg]), b.ints([1])], { keepdims: 1 }), mm]);
    b.output(y, 'float32', []);
    // The loss here is O(10): a step below 3e-3 drowns its change in float32 rounding.
    const r = await gradCheck(b.build('everything'), { h: 3e-3 });
    assert.ok(r.maxRelError < 2e-2, `relative error ${r.maxRelError}: analytic ${r.analytic} numeric ${r.numeric}`);
    const { supportedOps } = await import('../src/autodiff/index.js');
    const missing = supportedOps().filter((op) => !used.has(op));
    assert.deepEqual(missing, [], 'every op with a gradient rule appears in this graph');
  });
});

describe('GlobalMaxPool with ties', () => {
  it('splits the gradient equally among tied maxima', async () => {
    const { buildGradient } = await import('../src/autodiff/index.js');
    const { createSession } = await import('../src/runtime/session.js');
    const { writeModel } = await import('../src/onnx/write.js');
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1, 1, 2, 2]);
    const y = b.add('ReduceSum', [b.add('GlobalMaxPool', [x])], { keepdims: 0 });
    b.output(y, 'float32', []);
    const { graph, gradients } = buildGradient(b.build(), { of: y, wrt: [x] });
    const s = await createSession(writeModel(graph), { ep: 'cpu', threads: 1 });
    const r = await s.run({ x: { data: Float32Array.from([3, 1, 3, 2]), dims: [1, 1, 2, 2] } });
    assert.deepEqual([...r[gradients[x]!]!.data], [0.5, 0, 0.5, 0]);
    await s.release();
  });
});
