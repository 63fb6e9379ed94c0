import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadClassifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { stripFinalSoftmax } from '../src/onnx/rewrites/strip-softmax.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';
import { randn } from '../src/util/random.js';

const N = 2;
const K = 4;

/** x [N, 6] → Gemm → logits [N, K], then `head` builds the rest and names the output 'out'. */
function model(opset: number, head: (b: GraphBuilder, logits: string) => string, outDims: (number | string)[] = ['N', K]): Graph {
  const b = new GraphBuilder();
  b.opsets[''] = opset;
  const x = b.input('x', 'float32', ['N', 6]);
  const logits = b.add('Gemm', [x, b.floats([K, 6], randn(24, 3, 2), 'w'), b.floats([K], [0.5, -0.2, 0, 0.1], 'bias')], { transB: 1 });
  b.push('Identity', [head(b, logits)], ['out']);
  b.output('out', 'float32', outDims);
  return b.build(`head-${opset}`);
}

async function run(g: Graph, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(writeModel(g));
  try {
    return (await s.run({ x: new ort.Tensor('float32', x, [N, 6]) })).out!.data as Float32Array;
  } finally {
    await s.release();
  }
}

const softmaxRows = (v: Float32Array): number[] =>
  Array.from({ length: N }, (_, r) => {
    const row = [...v.subarray(r * K, (r + 1) * K)];
    const m = Math.max(...row);
    const e = row.map((z) => Math.exp(z - m));
    const s = e.reduce((a, c) => a + c, 0);
    return e.map((z) => z / s);
  }).flat();

interface Row {
  name: string;
  opset: number;
  head: (b: GraphBuilder, logits: string) => string;
  outDims?: (number | string)[];
  /** The op the rewrite must remove, or undefined when the output must stay as it is. */
  stripped?: 'Softmax' | 'LogSoftmax';
}

const ROWS: Row[] = [
  { name: 'Softmax(axis -1) last', opset: 17, head: (b, z) => b.add('Softmax', [z], { axis: -1 }), stripped: 'Softmax' },
  { name: 'Softmax with the default axis at opset 11 (2-D coercion)', opset: 11, head: (b, z) => b.add('Softmax', [z]), stripped: 'Softmax' },
  {
    name: 'LogSoftmax over the channels of [N,K,1,1], then Flatten',
    opset: 13,
    head: (b, z) => b.add('Flatten', [b.add('LogSoftmax', [b.add('Reshape', [z, b.ints([-1, K, 1, 1])])], { axis: 1 })]),
    stripped: 'LogSoftmax',
  },
  { name: 'Softmax behind Identity and Reshape', opset: 18, head: (b, z) => b.add('Reshape', [b.add('Identity', [b.add('Softmax', [z], { axis: 1 })]), b.ints([-1, K])]), stripped: 'Softmax' },
  { name: 'Softmax over a non-class axis (kept)', opset: 17, head: (b, z) => b.add('Reshape', [b.add('Softmax', [b.add('Reshape', [z, b.ints([-1, 2, 2])])], { axis: 1 }), b.ints([-1, K])]) },
  { name: 'Softmax followed by arithmetic (kept)', opset: 17, head: (b, z) => b.add('Mul', [b.add('Softmax', [z], { axis: -1 }), b.scalar(2)]) },
  { name: 'no softmax (kept)', opset: 17, head: (_b, z) => z },
];

describe('stripFinalSoftmax: a final (log-)softmax gives way to the logits before it', () => {
  const x = randn(N * 6, 11, 1);
  for (const row of ROWS) {
    it(row.name, async () => {
      const g = model(row.opset, row.head, row.outDims);
      const r = stripFinalSoftmax(g, 'out');
      assert.equal(r.stripped, row.stripped);
      if (!row.stripped) return assert.equal(r.graph, g, 'graph untouched');
      assert.ok(!r.graph.nodes.some((n) => n.opType === row.stripped), 'the softmax is gone');
      const original = await run(g, x);
      const logits = await run(r.graph, x);
      // The model's own probabilities are the softmax of what is explained now.
      const probs = row.stripped === 'LogSoftmax' ? [...original].map(Math.exp) : [...original];
      softmaxRows(logits).forEach((p, i) => assert.ok(Math.abs(p - probs[i]!) < 1e-5, `${i}: ${p} vs ${probs[i]}`));
    });
  }
});

describe('loadClassifier on an ONNX file ending in Softmax', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nm-softmax-'));
  writeFileSync(join(dir, 'sm.onnx'), writeModel(model(17, (b, z) => b.add('Softmax', [z], { axis: -1 }))));
  const card = (extra: object): void =>
    writeFileSync(join(dir, 'sm.json'), JSON.stringify({ preprocess: { inputSize: [1, 1] }, ...extra }));

  it('explains the logits, and says so', async () => {
    card({});
    const c = await loadClassifier(join(dir, 'sm.onnx'));
    assert.equal(c.outputKind, 'logits');
    assert.equal(c.strippedSoftmax, true);
    assert.ok(!c.graph.nodes.some((n) => n.opType === 'Softmax'));
  });

  it('keeps the output as it is when the card says it is probabilities', async () => {
    card({ outputKind: 'probabilities' });
    const c = await loadClassifier(join(dir, 'sm.onnx'));
    assert.equal(c.outputKind, 'probabilities');
    assert.equal(c.strippedSoftmax, false);
    assert.ok(c.graph.nodes.some((n) => n.opType === 'Softmax'));
  });

  it('removes a final LogSoftmax even when the card says probabilities (log-probabilities are not)', async () => {
    writeFileSync(join(dir, 'lsm.onnx'), writeModel(model(17, (b, z) => b.add('LogSoftmax', [z], { axis: -1 }))));
    writeFileSync(join(dir, 'lsm.json'), JSON.stringify({ preprocess: { inputSize: [1, 1] }, outputKind: 'probabilities' }));
    const c = await loadClassifier(join(dir, 'lsm.onnx'));
    assert.equal(c.outputKind, 'logits');
    assert.equal(c.strippedSoftmax, true);
  });
});
