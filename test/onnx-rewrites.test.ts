import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, float } from '../src/onnx/builder.js';
import { constantFold, dequantize, foldBatchNorm, upgradeToOpset13, withBatch } from '../src/onnx/rewrites/index.js';
import { tensor, toNumbers } from '../src/onnx/tensor.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';

const rnd = (n: number, seed: number, lo = -1, hi = 1): Float32Array => {
  let s = seed;
  return Float32Array.from({ length: n }, () => lo + ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * (hi - lo));
};

async function run(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(writeModel(g));
  const r = await s.run({ [g.inputs[0]!.name]: new ort.Tensor('float32', x, dims) });
  return r[g.outputs[0]!.name]!.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function convBn(extraConsumer: boolean): Graph {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [2, 3, 8, 8]);
  const c = b.add('Conv', [x, b.floats([4, 3, 3, 3], rnd(108, 1)), b.floats([4], rnd(4, 2))], { pads: [1, 1, 1, 1] });
  const bn = b.add('BatchNormalization', [c, b.floats([4], rnd(4, 3, 0.5, 2)), b.floats([4], rnd(4, 4)), b.floats([4], rnd(4, 5)), b.floats([4], rnd(4, 6, 0.1, 3))], { epsilon: float(1e-3) });
  const y = extraConsumer ? b.add('Add', [bn, c]) : bn;
  b.push('Relu', [y], ['y']);
  b.output('y', 'float32', [2, 4, 8, 8]);
  return b.build();
}

describe('foldBatchNorm', () => {
  it('folds BN into the conv before it, same ORT output', async () => {
    const g = convBn(false);
    const f = foldBatchNorm(g);
    assert.deepEqual(f.nodes.map((n) => n.opType), ['Conv', 'Relu']);
    const x = rnd(2 * 3 * 64, 9, -2, 2);
    const d = maxAbsDiff(await run(g, x, [2, 3, 8, 8]), await run(f, x, [2, 3, 8, 8]));
    assert.ok(d < 1e-5, `max diff ${d}`);
  });

  it('leaves BN alone when the conv output has another consumer', () => {
    const f = foldBatchNorm(convBn(true));
    assert.ok(f.nodes.some((n) => n.opType === 'BatchNormalization'));
  });
});

describe('withBatch and constantFold', () => {
  function flattenGraph(): Graph {
    const b = new GraphBuilder();
    b.opsets[''] = 12;
    const x = b.input('x', 'float32', ['N', 2, 3]);
    const s = b.add('Shape', [x]);
    const n = b.add('Gather', [s, b.constant(tensor('int64', [], BigInt64Array.from([0n])))], { axis: 0 });
    const u = b.add('Unsqueeze', [n], { axes: [0] });
    const shape = b.add('Concat', [u, b.ints([-1])], { axis: 0 });
    b.push('Reshape', [x, shape], ['y']);
    b.output('y', 'float32', ['N', 6]);
    return b.build();
  }

  it('withBatch fixes symbolic batch dims only', () => {
    const g = withBatch(flattenGraph(), 4);
    assert.deepEqual(g.inputs[0]!.shape, [4, 2, 3]);
    assert.deepEqual(g.outputs[0]!.shape, [4, 6]);
    assert.throws(() => withBatch(g, 0), RangeError);
  });

  it('folds Shape→Gather→Unsqueeze→Concat into a constant Reshape shape', async () => {
    const g = withBatch(flattenGraph(), 3);
    const f = constantFold(g);
    assert.deepEqual(f.nodes.map((n) => n.opType), ['Reshape']);
    assert.deepEqual(toNumbers(f.initializers.get(f.nodes[0]!.inputs[1]!)!), [3, -1]);
    assert.equal(f.initializers.size, 1, 'unused initializers dropped');
    const x = rnd(18, 3);
    assert.deepEqual(await run(f, x, [3, 2, 3]), await run(g, x, [3, 2, 3]));
  });

  it('does not fold Shape of a symbolic input', () => {
    const f = constantFold(flattenGraph());
    assert.ok(f.nodes.some((n) => n.opType === 'Shape'));
  });

  it('folds DequantizeLinear, Cast and int64 arithmetic of constants', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    const w = b.add('DequantizeLinear', [b.constant(tensor('int8', [2], Int8Array.from([-3, 5]))), b.scalar(0.5), b.constant(tensor('int8', [], Int8Array.from([1])))]);
    const k = b.add('Cast', [b.add('Mul', [b.ints([3]), b.ints([2])])], { to: 1 });
    b.push('Add', [b.add('Mul', [x, w]), k], ['y']);
    b.output('y', 'float32', [2]);
    const f = constantFold(b.build());
    assert.deepEqual(f.nodes.map((n) => n.opType), ['Mul', 'Add']);
    assert.deepEqual(toNumbers(f.initializers.get(w)!), [-2, 2]);
    assert.deepEqual(toNumbers(f.initializers.get(k)!), [6]);
  });
});

describe('upgradeToOpset13', () => {
  it('moves Unsqueeze axes into an input and keeps results', async () => {
    const b = new GraphBuilder();
    b.opsets[''] = 11;
    const x = b.input('x', 'float32', [2, 3]);
    b.push('Softmax', [b.add('Unsqueeze', [x], { axes: [0, 3] })], ['y'], { axis: 2 });
    b.output('y', 'float32', [1, 2, 3, 1]);
    const g = b.build();
    const u = upgradeToOpset13(g);
    assert.equal(u.opsets[''], 13);
    assert.ok(u.nodes.every((n) => !n.attrs.axes));
    const xv = rnd(6, 4);
    const d = maxAbsDiff(await run(g, xv, [2, 3]), await run(u, xv, [2, 3]));
    assert.ok(d < 1e-6);
  });
});

describe('dequantize QDQ graphs', () => {
  it('replaces Q→DQ by a Clip and dequantizes int8 weights per channel', async () => {
    const b = new GraphBuilder();
    b.opsets[''] = 13;
    const x = b.input('x', 'float32', [1, 2, 5, 5]);
    const s = b.scalar(0.05);
    const zp = b.constant(tensor('uint8', [], Uint8Array.from([100])));
    const xq = b.add('QuantizeLinear', [x, s, zp]);
    const xd = b.add('DequantizeLinear', [xq, s, zp]);
    const wq = b.constant(tensor('int8', [3, 2, 3, 3], Int8Array.from(rnd(54, 2, -127, 127), Math.round)));
    const ws = b.floats([3], [0.01, 0.02, 0.03]);
    const wz = b.constant(tensor('int8', [3], Int8Array.from([0, 1, -2])));
    const wd = b.add('DequantizeLinear', [wq, ws, wz], { axis: 0 });
    b.push('Conv', [xd, wd], ['y']);
    b.output('y', 'float32', [1, 3, 3, 3]);
    const g = b.build();
    const d = dequantize(g);
    assert.deepEqual(d.nodes.map((n) => n.opType), ['Clip', 'Conv']);
    const clip = d.nodes[0]!;
    assert.deepEqual([clip.inputs[1], clip.inputs[2]].map((n) => toNumbers(d.initializers.get(n!)!)[0]), [Math.fround(-100 * 0.05), Math.fround(155 * 0.05)]);
    const w = toNumbers(d.initializers.get(d.nodes[1]!.inputs[1]!)!);
    const q = toNumbers(g.initializers.get(wq)!);
    assert.equal(w[20], Math.fround((q[20]! - 1) * 0.02));
    // On-grid inputs (and out-of-range ones, which both clamp) make quantization exact.
    const xv = Float32Array.from(rnd(50, 5, -130, 180), (v) => Math.round(v) * 0.05);
    const diff = maxAbsDiff(await run(g, xv, [1, 2, 5, 5]), await run(d, xv, [1, 2, 5, 5]));
    assert.ok(diff < 1e-5, `max diff ${diff}`);
  });

  it('keeps the graph output name when the last op is a DequantizeLinear', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [4]);
    const s = b.scalar(0.1);
    const q = b.add('QuantizeLinear', [b.add('Relu', [x]), s]);
    b.push('DequantizeLinear', [q, s], ['out']);
    b.output('out', 'float32', [4]);
    const d = dequantize(b.build());
    assert.deepEqual(d.nodes.map((n) => n.opType), ['Relu', 'Clip']);
    assert.equal(d.nodes[1]!.outputs[0], 'out');
  });
});
