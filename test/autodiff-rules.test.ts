import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, float } from '../src/onnx/builder.js';
import type { Graph } from '../src/onnx/types.js';
import { gradCheck } from './helpers/grad-check.js';
import { randn } from './helpers/random.js';

type Case = { name: string; graph: () => Graph; h?: number; tol?: number };

/** y = op(x, constants…), x: [2, 3, 6, 6] unless the case says otherwise. */
function unary(build: (b: GraphBuilder, x: string) => string, xShape = [2, 3, 6, 6]): () => Graph {
  return () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', xShape);
    const y = build(b, x);
    b.output(y, 'float32', []);
    return b.build('case');
  };
}

const w = (b: GraphBuilder, dims: number[], seed: number, scale = 0.5): string =>
  b.floats(dims, randn(dims.reduce((p, d) => p * d, 1), seed, scale), 'w');

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
  { name: 'AveragePool 2x2', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] })) },
  { name: 'AveragePool 3x3 pad 1 exclude pad', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })) },
  { name: 'AveragePool 3x3 s2 pad 1 include pad', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }), [1, 2, 7, 7]) },
  { name: 'AveragePool ceil_mode', graph: unary((b, x) => b.add('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), [1, 2, 5, 5]) },
  { name: 'GlobalAveragePool', graph: unary((b, x) => b.add('GlobalAveragePool', [x])) },
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
