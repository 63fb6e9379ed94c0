import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { UnsupportedOpError } from '../src/errors/unsupported-op-error.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { inferShapes } from '../src/onnx/shapes.js';
import { floatTensor, int64Tensor, sizeOf, tensor } from '../src/onnx/tensor.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';

type Build = (b: GraphBuilder, x: string) => string[];
interface Case { name: string; input: number[]; build: Build; opset?: number }

const rnd = (n: number, seed = 1): Float32Array => {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
};
const w = (b: GraphBuilder, dims: number[]): string => b.floats(dims, rnd(sizeOf(dims), 3), 'w');

const CASES: Case[] = [
  { name: 'Conv strided, padded, dilated', input: [2, 3, 17, 13], build: (b, x) => [b.add('Conv', [x, w(b, [8, 3, 3, 3])], { strides: [2, 3], pads: [1, 0, 2, 1], dilations: [2, 1] })] },
  { name: 'Conv depthwise', input: [1, 4, 9, 9], build: (b, x) => [b.add('Conv', [x, w(b, [4, 1, 3, 3])], { group: 4 })] },
  { name: 'Conv SAME_UPPER', input: [1, 3, 11, 10], build: (b, x) => [b.add('Conv', [x, w(b, [5, 3, 3, 3])], { auto_pad: 'SAME_UPPER', strides: [2, 2] })] },
  { name: 'Conv VALID', input: [1, 3, 11, 10], build: (b, x) => [b.add('Conv', [x, w(b, [5, 3, 4, 3])], { auto_pad: 'VALID', strides: [2, 3] })] },
  { name: 'ConvTranspose output_padding', input: [1, 4, 7, 6], build: (b, x) => [b.add('ConvTranspose', [x, w(b, [4, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] })] },
  { name: 'ConvTranspose grouped', input: [1, 4, 5, 5], build: (b, x) => [b.add('ConvTranspose', [x, w(b, [4, 2, 3, 3])], { group: 2, dilations: [2, 1] })] },
  { name: 'MaxPool ceil_mode + Indices', input: [1, 2, 10, 9], build: (b, x) => b.addMulti('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], ceil_mode: 1 }, 2) },
  { name: 'MaxPool ceil_mode edge', input: [1, 1, 5, 5], build: (b, x) => [b.add('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 })] },
  { name: 'AveragePool', input: [1, 2, 9, 8], build: (b, x) => [b.add('AveragePool', [x], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 1, 1, 1] })] },
  { name: 'Global pools', input: [2, 3, 5, 4], build: (b, x) => [b.add('GlobalAveragePool', [x]), b.add('GlobalMaxPool', [x])] },
  { name: 'unary ops', input: [2, 3], build: (b, x) => ['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Neg', 'Abs', 'Erf', 'Sign', 'Identity', 'HardSwish', 'HardSigmoid'].map((op) => b.add(op, [x])) },
  { name: 'Clip, LeakyRelu, Cast, Not, Dropout', input: [2, 3], build: (b, x) => [b.add('Clip', [x, b.scalar(0), b.scalar(0.5)]), b.add('LeakyRelu', [x]), b.add('Cast', [x], { to: 7 }), b.add('Not', [b.add('Greater', [x, b.scalar(0)])]), ...b.addMulti('Dropout', [x], {}, 2)] },
  { name: 'broadcast binary + compare', input: [4, 1, 3], build: (b, x) => { const y = w(b, [5, 1]); return [b.add('Add', [x, y]), b.add('Pow', [b.add('Abs', [x]), y]), b.add('Max', [x, y]), b.add('Less', [x, y]), b.add('Equal', [x, y]), b.add('Sum', [x, y, x])]; } },
  { name: 'Where + And', input: [3, 1], build: (b, x) => { const c = b.add('Greater', [x, w(b, [1, 4])]); return [b.add('Where', [c, x, w(b, [2, 1, 1])]), b.add('And', [c, b.add('Less', [x, b.scalar(0.5)])])]; } },
  { name: 'Gemm transA transB', input: [5, 3], build: (b, x) => [b.add('Gemm', [x, w(b, [7, 5])], { transA: 1, transB: 1 })] },
  { name: 'MatMul batched and 1-D', input: [2, 1, 3, 4], build: (b, x) => [b.add('MatMul', [x, w(b, [5, 4, 6])]), b.add('MatMul', [x, w(b, [4])]), b.add('MatMul', [w(b, [3]), x])] },
  { name: 'Flatten', input: [2, 3, 4, 5], build: (b, x) => [b.add('Flatten', [x], { axis: 2 }), b.add('Flatten', [x], { axis: -1 }), b.add('Flatten', [x], { axis: 0 })] },
  { name: 'Reshape 0/-1 and computed shape', input: [2, 3, 4], build: (b, x) => {
    const s = b.add('Shape', [x]);
    const first = b.add('Unsqueeze', [b.add('Gather', [s, b.constant(int64Tensor([], [0]))], { axis: 0 }), b.ints([0])]);
    return [b.add('Reshape', [x, b.ints([0, -1, 2])]), b.add('Reshape', [x, b.add('Concat', [first, b.ints([-1])], { axis: 0 })])];
  } },
  { name: 'Transpose', input: [2, 3, 4], build: (b, x) => [b.add('Transpose', [x], { perm: [1, 2, 0] }), b.add('Transpose', [x])] },
  { name: 'Concat + Split', input: [2, 6], build: (b, x) => [b.add('Concat', [x, w(b, [2, 3])], { axis: -1 }), ...b.addMulti('Split', [x, b.ints([1, 2, 3])], { axis: 1 }, 3), ...b.addMulti('Split', [x], { axis: 1 }, 2)] },
  { name: 'Slice with steps', input: [5, 8, 3], build: (b, x) => [b.add('Slice', [x, b.ints([1, -1]), b.ints([100, 0]), b.ints([0, 1]), b.ints([2, -3])]), b.add('Slice', [x, b.ints([-2]), b.ints([3]), b.ints([2])])] },
  { name: 'Squeeze / Unsqueeze (opset 13)', input: [1, 3, 1, 2], build: (b, x) => [b.add('Squeeze', [x, b.ints([0, -2])]), b.add('Squeeze', [x]), b.add('Unsqueeze', [x, b.ints([0, -1])])] },
  { name: 'Squeeze / Unsqueeze (opset 11 attrs)', opset: 11, input: [1, 3, 1, 2], build: (b, x) => [b.add('Squeeze', [x], { axes: [2] }), b.add('Unsqueeze', [x], { axes: [1, 5] })] },
  { name: 'Pad (pads input)', input: [1, 2, 3, 4], build: (b, x) => [b.add('Pad', [x, b.ints([0, 0, 1, 2, 0, 1, 3, 0])])] },
  { name: 'Pad opset 2 attr', opset: 10, input: [2, 3], build: (b, x) => [b.add('Pad', [x], { pads: [1, 0, 2, 3] })] },
  { name: 'Reduce*', input: [2, 3, 4], build: (b, x) => [b.add('ReduceMean', [x], { axes: [1], keepdims: 0 }), b.add('ReduceSum', [x, b.ints([-1, 0])]), b.add('ReduceMax', [x], { axes: [2] }), b.add('ReduceMean', [x])] },
  { name: 'Softmax, LogSoftmax', input: [2, 5], build: (b, x) => [b.add('Softmax', [x], { axis: 0 }), b.add('LogSoftmax', [x])] },
  { name: 'Shape, Gather', input: [4, 5, 6], build: (b, x) => [b.add('Shape', [x]), b.add('Gather', [x, b.constant(int64Tensor([2, 2], [0, 1, 3, 2]))], { axis: 1 })] },
  { name: 'Resize scales and sizes', input: [1, 2, 5, 7], build: (b, x) => [b.add('Resize', [x, '', b.floats([4], [1, 1, 2, 0.5])]), b.add('Resize', [x, '', '', b.ints([1, 2, 3, 9])])] },
  { name: 'ScatterElements', input: [3, 4], build: (b, x) => [b.add('ScatterElements', [x, b.constant(int64Tensor([1, 2], [1, 3])), w(b, [1, 2])], { axis: 1, reduction: 'add' })] },
  { name: 'ConstantOfShape, Constant, Expand, Tile', input: [3, 1], build: (b, x) => [
    b.add('ConstantOfShape', [b.ints([2, 3])], { value: tensor('int64', [1], BigInt64Array.from([7n])) }),
    b.add('Add', [x, b.add('Constant', [], { value: floatTensor([2, 1, 1], [1, 2]) })]),
    b.add('Expand', [x, b.ints([2, 1, 4])]),
    b.add('Tile', [x, b.ints([2, 3])]),
  ] },
];

async function ortShapes(g: Graph, inputDims: number[]): Promise<{ dims: readonly number[]; type: string }[]> {
  const s = await ort.InferenceSession.create(writeModel(g));
  const x = new ort.Tensor('float32', rnd(sizeOf(inputDims), 7), inputDims);
  const r = await s.run({ x });
  return g.outputs.map((o) => ({ dims: r[o.name]!.dims, type: r[o.name]!.type }));
}

const ORT_TYPE = { float32: 'float32', int64: 'int64', bool: 'bool', int32: 'int32', float64: 'float64', int8: 'int8', uint8: 'uint8' } as const;

describe('inferShapes agrees with onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const b = new GraphBuilder();
      b.opsets[''] = c.opset ?? 17;
      const x = b.input('x', 'float32', c.input);
      const outs = c.build(b, x);
      const probe = b.build();
      const shapes = inferShapes(probe);
      // Outputs declared with the inferred rank but symbolic dims, so ORT does not take our dims as given.
      for (const o of outs) {
        const s = shapes.get(o)!;
        b.output(o, s.dtype, s.dims.map((_, i) => `${o}_${i}`));
      }
      const actual = await ortShapes(b.build(), c.input);
      outs.forEach((o, i) => {
        const s = shapes.get(o)!;
        assert.deepEqual([...actual[i]!.dims], s.dims, `dims of ${o}`);
        assert.equal(actual[i]!.type, ORT_TYPE[s.dtype], `dtype of ${o}`);
      });
    });
  }
});

describe('inferShapes errors', () => {
  it('names a symbolic input dim', () => {
    const b = new GraphBuilder();
    b.input('image', 'float32', ['N', 3, 8, 8]);
    b.push('Relu', ['image'], ['y']);
    assert.throws(() => inferShapes(b.build()), /"image".*"N"/);
  });

  it('throws UnsupportedOpError for unknown ops', () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', [1]);
    b.push('Foo', ['x'], ['y'], {}, 'com.example');
    assert.throws(() => inferShapes(b.build()), (e: unknown) => e instanceof UnsupportedOpError && e.opType === 'Foo' && e.domain === 'com.example' && /unsupported op com.example::Foo \(node "n_Foo"\)/.test(e.message));
  });

  it('records initializers and inputs', () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', [2, 3]);
    const k = b.ints([1, 2, 3]);
    const s = inferShapes(b.build());
    assert.deepEqual(s.get('x'), { dtype: 'float32', dims: [2, 3] });
    assert.deepEqual(s.get(k), { dtype: 'int64', dims: [3] });
  });
});
