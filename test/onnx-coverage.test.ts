import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, float } from '../src/onnx/builder.js';
import { prepareGraph } from '../src/onnx/rewrites/index.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';
import { gradCheck, w } from './helpers/grad-check.js';
import { randn } from './helpers/random.js';

// Whole graphs in the forms exporters write at older opsets and with a dynamic batch: prepareGraph
// must keep their values, fold the shape arithmetic away, and leave them differentiable.

const BATCH = 2;

async function run(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(writeModel(g));
  try {
    const r = await s.run({ [g.inputs[0]!.name]: new ort.Tensor('float32', x, dims) });
    return r[g.outputs[0]!.name]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** A builder at `opset` with input x: [N, 3, 6, 6], N symbolic unless `batch` is given. */
function start(opset: number, batch: number | string = 'N'): { b: GraphBuilder; x: string } {
  const b = new GraphBuilder();
  b.opsets[''] = opset;
  return { b, x: b.input('x', 'float32', [batch, 3, 6, 6]) };
}

/** x.view(x.size(0), -1) as torch traces it with a dynamic batch; `attrAxes` for opset < 13. */
function flattenByShape(b: GraphBuilder, y: string, attrAxes: boolean): string {
  const n = b.add('Gather', [b.add('Shape', [y]), b.constant({ dtype: 'int64', dims: [], data: BigInt64Array.from([0n]) })], { axis: 0 });
  const n1 = attrAxes ? b.add('Unsqueeze', [n], { axes: [0] }) : b.add('Unsqueeze', [n, b.ints([0])]);
  const minusOne = b.add('Constant', [], { value: { dtype: 'int64', dims: [1], data: BigInt64Array.from([-1n]) } });
  const shape = b.add('Concat', [n1, minusOne], { axis: 0 });
  return b.add('Reshape', [y, shape]);
}

/** Conv trunk with the ops whose signature changed at 13: Split, Squeeze/Unsqueeze, ReduceSum. */
function trunk(b: GraphBuilder, x: string, opset: number): string {
  const old = opset < 13;
  const c = b.add('Relu', [b.add('Conv', [x, w(b, [4, 3, 3, 3], 1), w(b, [4], 2)], { pads: [1, 1, 1, 1] })]);
  const [s1, s2] = (old ? b.addMulti('Split', [c], { axis: 1, split: [1, 3] }, 2) : b.addMulti('Split', [c, b.ints([1, 3])], { axis: 1 }, 2)) as [string, string];
  const sq = old ? b.add('Squeeze', [s1], { axes: [1] }) : b.add('Squeeze', [s1, b.ints([1])]);
  const un = old ? b.add('Unsqueeze', [b.add('Sigmoid', [sq])], { axes: [1] }) : b.add('Unsqueeze', [b.add('Sigmoid', [sq]), b.ints([1])]);
  const rs = old ? b.add('ReduceSum', [s2], { axes: [1], keepdims: 1 }) : b.add('ReduceSum', [s2, b.ints([1])], { keepdims: 1 });
  const clip = b.add('Clip', [b.add('Mul', [s2, un]), b.scalar(0), b.scalar(6)]);
  const pad = b.add('Pad', [clip, b.ints([0, 0, 1, 1, 0, 0, 1, 1])]);
  const pooled = b.add('AveragePool', [pad], { kernel_shape: [2, 2], strides: [2, 2] }); // [N,3,4,4]
  return b.add('Add', [pooled, b.add('ReduceMean', [rs], { axes: [2, 3], keepdims: 1 })]);
}

function classifier(opset: number): Graph {
  const { b, x } = start(opset);
  const flat = flattenByShape(b, trunk(b, x, opset), opset < 13);
  b.push('Gemm', [flat, w(b, [5, 48], 3), w(b, [5], 4)], ['logits'], { transB: 1 });
  b.output('logits', 'float32', ['N', 5]);
  return b.build(`opset${opset}`);
}

/** ViT's class token: cls.expand(x.size(0), -1, -1) then cat, and later x[:, 0]. */
function classToken(): Graph {
  const { b, x } = start(17);
  const tokens = b.add('Transpose', [b.add('Reshape', [x, b.ints([0, 3, 36])])], { perm: [0, 2, 1] }); // [N,36,3]
  const n = b.add('Unsqueeze', [b.add('Gather', [b.add('Shape', [x]), b.ints([0])], { axis: 0 }), b.ints([0])]);
  const wanted = b.add('Concat', [b.add('Reshape', [n, b.ints([1])]), b.ints([-1, -1])], { axis: 0 });
  const minusOne = b.add('Mul', [b.add('ConstantOfShape', [b.ints([3])], { value: { dtype: 'int64', dims: [1], data: BigInt64Array.from([1n]) } }), b.ints([-1])]);
  const shape = b.add('Where', [b.add('Equal', [wanted, minusOne]), b.ints([1, 1, 1]), wanted]);
  const cls = b.add('Expand', [w(b, [1, 1, 3], 5), shape]);
  const seq = b.add('LayerNormalization', [b.add('Concat', [cls, tokens], { axis: 1 }), w(b, [3], 6), w(b, [3], 7)]);
  const mixed = b.add('Softmax', [b.add('MatMul', [seq, b.add('Transpose', [seq], { perm: [0, 2, 1] })])], { axis: -1 }); // [N,37,37]
  const first = b.add('Gather', [b.add('MatMul', [mixed, seq]), b.constant({ dtype: 'int64', dims: [], data: BigInt64Array.from([0n]) })], { axis: 1 });
  b.push('Gemm', [first, w(b, [4, 3], 8)], ['logits'], { transB: 1 });
  b.output('logits', 'float32', ['N', 4]);
  return b.build('class-token');
}

/** Swin's shifted windows and attention mask: index arithmetic on constants (Range, Mod, ScatterND…). */
function shiftedWindow(): Graph {
  const { b, x } = start(17);
  const i64 = (v: number): string => b.constant({ dtype: 'int64', dims: [], data: BigInt64Array.from([BigInt(v)]) });
  const rolled = b.add('Mod', [b.add('Sub', [b.add('Range', [i64(0), i64(6), i64(1)]), i64(2)]), i64(6)]);
  const zeros = b.add('ConstantOfShape', [b.ints([1, 1, 6, 6])], { value: { dtype: 'float32', dims: [1], data: new Float32Array(1) } });
  const at = b.constant({ dtype: 'int64', dims: [2, 4], data: BigInt64Array.from([0n, 0n, 0n, 1n, 0n, 0n, 4n, 5n]) });
  const marks = b.add('Transpose', [b.add('ScatterND', [zeros, at, b.floats([2], [1, 2])])], { perm: [0, 1, 3, 2] });
  const keep = b.add('Not', [b.add('Equal', [marks, b.scalar(0)])]);
  const bias = b.add('Where', [keep, b.add('Pow', [marks, b.scalar(2)]), b.add('Expand', [b.floats([1], [-1]), b.ints([1, 1, 6, 6])])]);
  // The shifted indices also enter as values, so Python-style Mod (4, 5 for −2, −1) is checked too.
  const shifts = b.add('Reshape', [b.add('Cast', [rolled], { to: 1 }), b.ints([1, 1, 1, 6])]);
  b.push('Softmax', [b.add('Add', [b.add('Add', [b.add('Gather', [x, rolled], { axis: 3 }), bias]), shifts])], ['logits'], { axis: -1 });
  b.output('logits', 'float32', ['N', 3, 6, 6]);
  return b.build('shifted-window');
}

/** Opset-9/10 forms: Upsample or Resize-10, Dropout with a ratio attribute, Clip/Pad (and at 9 Slice) attributes. */
function legacy(opset: 9 | 10): Graph {
  const { b, x } = start(opset, BATCH);
  const c = b.add('Conv', [x, w(b, [2, 3, 3, 3], 9)], { pads: [1, 1, 1, 1] });
  const up = opset === 9
    ? b.add('Upsample', [c, b.floats([4], [1, 1, 2, 2])], { mode: 'nearest' })
    : b.add('Resize', [c, b.floats([4], [1, 1, 2, 2])], { mode: 'linear' }); // [2,2,12,12]
  const cl = b.add('Clip', [b.add('Dropout', [up], { ratio: float(0.3) })], { min: float(-0.5), max: float(0.5) });
  const pd = b.add('Pad', [cl], { pads: [0, 0, 1, 0, 0, 0, 0, 1] });
  const sl = opset === 9
    ? b.add('Slice', [pd], { starts: [1, 2], ends: [12, 11], axes: [2, 3] })
    : b.add('Slice', [pd, b.ints([1, 2]), b.ints([12, 11]), b.ints([2, 3])]);
  b.push('Flatten', [b.add('GlobalAveragePool', [b.add('Tanh', [sl])])], ['logits']);
  b.output('logits', 'float32', [BATCH, 2]);
  return b.build(`opset${opset}`);
}

const cases: { name: string; graph: () => Graph; foldsShapes: boolean }[] = [
  { name: 'opset 11, dynamic batch: attribute forms of Split/Squeeze/Unsqueeze/ReduceSum, Shape chain', graph: () => classifier(11), foldsShapes: true },
  { name: 'opset 13, dynamic batch: the same with axes and split as inputs', graph: () => classifier(13), foldsShapes: true },
  { name: 'opset 17, dynamic batch: ViT class token (Expand via Where(Equal)), LayerNorm, Gather', graph: classToken, foldsShapes: true },
  { name: 'opset 17: Swin shifted window and mask (Range, Mod, ScatterND, Transpose, Not, Pow, Expand)', graph: shiftedWindow, foldsShapes: true },
  { name: 'opset 9: Upsample, Dropout(ratio), Clip/Pad/Slice attributes', graph: () => legacy(9), foldsShapes: false },
  { name: 'opset 10: Resize (X, scales) linear, Dropout(ratio), Clip/Pad attributes', graph: () => legacy(10), foldsShapes: false },
];

describe('exporter forms through prepareGraph', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const g = c.graph();
      const prepared = prepareGraph(g, { batch: BATCH });
      const dims = [BATCH, 3, 6, 6];
      const x = randn(dims.reduce((p, d) => p * d, 1), 3);
      const [want, got] = [await run(g, x, dims), await run(prepared, x, dims)];
      assert.equal(got.length, want.length);
      want.forEach((v, i) => assert.ok(Math.abs(v - got[i]!) < 1e-5, `output ${i}: ${got[i]} vs ${v}`));
      if (c.foldsShapes) {
        const folded = ['Constant', 'Shape', 'ConstantOfShape', 'Equal', 'Where', 'Range', 'Mod', 'ScatterND', 'Not', 'Pow', 'Expand'];
        const left = prepared.nodes.filter((n) => folded.includes(n.opType));
        assert.deepEqual(left.map((n) => n.opType), [], 'the shape arithmetic is folded into constants');
        for (const n of prepared.nodes.filter((m) => m.opType === 'Reshape' || m.opType === 'Expand')) {
          assert.ok(prepared.initializers.has(n.inputs[1]!), `${n.opType} "${n.name}" has a constant shape`);
        }
      }
      const r = await gradCheck(prepared, { x });
      assert.ok(r.maxRelError < 2e-2, `relative error ${r.maxRelError}: analytic ${r.analytic} numeric ${r.numeric}`);
    });
  }
});
