import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { ImageInput } from '../src/image/load.js';
import { explain } from '../src/methods/explain.js';
import { methodNames } from '../src/methods/registry.js';
import type { Classifier } from '../src/models/classifier.js';
import { PreprocessSpecSchema } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { MAX_OPSET } from '../src/onnx/opsets.js';
import { writeModel } from '../src/onnx/write.js';
import { Engine } from '../src/runtime/engine.js';
import { uniform } from '../src/util/random.js';
import { gradCheck } from './helpers/grad-check.js';
import { opsetGraph } from './helpers/opset-classifier.js';

// Every node neuromask adds (gradients, objectives, metrics) must be in the form the model's
// declared opset requires: ReduceMean's axes, for one, became an input at opset 18.

/** Few iterations / samples: this checks that each method's graphs load and run, not their quality. */
const QUICK: Record<string, Record<string, unknown>> = {
  neuromask: { iterations: 3 },
  gradient: {},
  smoothgrad: { samples: 2, batchSize: 2 },
  'integrated-gradients': { steps: 2, batchSize: 2 },
  'grad-cam': {},
  occlusion: { patch: 6, stride: 6, batchSize: 4 },
  rise: { masks: 4, cells: 3, batchSize: 4 },
  'meaningful-perturbation': { iterations: 2 },
  'extremal-perturbation': { iterations: 2, levels: 2 },
};

function classifier(opset: number): Classifier {
  return {
    name: `opset${opset}`,
    source: '<memory>',
    graph: opsetGraph(opset),
    inputName: 'input',
    outputName: 'logits',
    outputKind: 'logits', format: 'onnx', strippedSoftmax: false,
    spec: PreprocessSpecSchema.parse({ inputSize: [12, 12], resize: 'stretch', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
    labels: ['a', 'b', 'c'],
    numClasses: 3,
  };
}

const image: ImageInput = { source: '<test>', height: 12, width: 12, channels: 3, pixels: uniform(3 * 144, 0, 1, 4), display: new Uint8Array(144 * 3) };

describe('ONNX Runtime opset range', () => {
  const tiny = (opset: number): Uint8Array => {
    const b = new GraphBuilder();
    b.opsets[''] = opset;
    b.input('x', 'float32', [1, 2]);
    b.push('Relu', ['x'], ['y']);
    b.output('y', 'float32', [1, 2]);
    return writeModel(b.build());
  };
  it(`runs ai.onnx opset ${MAX_OPSET} and refuses ${MAX_OPSET + 1} (MAX_OPSET is what ONNX Runtime runs)`, async () => {
    const s = await ort.InferenceSession.create(tiny(MAX_OPSET));
    await s.release();
    await assert.rejects(ort.InferenceSession.create(tiny(MAX_OPSET + 1)), /opset/i);
  });
});

describe('every method at every supported opset', () => {
  const engines: Engine[] = [];
  after(async () => {
    for (const e of engines) await e.release();
  });
  it('the table covers every registered method', () => {
    assert.deepEqual([...methodNames()].sort(), Object.keys(QUICK).sort());
  });
  const maps = new Map<string, Float32Array>();
  const OPSETS = [13, 17, 18, 21, MAX_OPSET];
  for (const opset of OPSETS) {
    for (const method of Object.keys(QUICK)) {
      it(`opset ${opset}: ${method} explains`, async () => {
        const engine = new Engine(classifier(opset), { ep: 'cpu', threads: 1 });
        engines.push(engine);
        const r = await explain(engine, image, { method, target: 1, seed: 3, options: QUICK[method]! });
        assert.equal(r.map.length, 144);
        assert.ok(r.map.every(Number.isFinite), 'finite map');
        assert.ok(r.map.some((v) => v !== 0), 'map not all zero');
        maps.set(`${opset}:${method}`, r.map);
      });
    }
  }
  // The graphs differ only in how the opsets spell the same ops: the maps must agree.
  it('every opset gives the maps opset 13 gives', () => {
    for (const method of Object.keys(QUICK)) {
      const ref = maps.get(`13:${method}`)!;
      const scale = Math.max(...ref.map(Math.abs));
      for (const opset of OPSETS.slice(1)) {
        const m = maps.get(`${opset}:${method}`)!;
        const worst = Math.max(...m.map((v, i) => Math.abs(v - ref[i]!)));
        assert.ok(worst <= 1e-4 * scale, `${method} at opset ${opset}: max |Δ| ${worst} (scale ${scale})`);
      }
    }
  });
});

describe('reductions in their opset-18 form: gradients match finite differences', () => {
  /** x [2,3,4,4] → op at `opset`, axes given as an input. */
  const graph = (opset: number, op: string, axes: number[], attrs: Record<string, number>) => {
    const b = new GraphBuilder();
    b.opsets[''] = opset;
    const x = b.input('x', 'float32', [2, 3, 4, 4]);
    const y = b.add(op, axes.length ? [x, b.ints(axes, 'axes')] : [x], attrs);
    b.output(y, 'float32', []);
    return b.build(op);
  };
  const rows: [string, number, string, number[], Record<string, number>][] = [
    ['ReduceMean over H,W, keepdims 0', 18, 'ReduceMean', [2, 3], { keepdims: 0 }],
    ['ReduceMax over channels', 18, 'ReduceMax', [1], { keepdims: 1 }],
    ['ReduceMin over everything (no axes)', MAX_OPSET, 'ReduceMin', [], { keepdims: 0 }],
    ['ReduceMean, no axes, noop_with_empty_axes (the identity)', 18, 'ReduceMean', [], { noop_with_empty_axes: 1 }],
    ['ReduceMax, no axes, noop_with_empty_axes (the identity)', 21, 'ReduceMax', [], { noop_with_empty_axes: 1 }],
    ['ReduceSum, no axes, noop_with_empty_axes at 13', 13, 'ReduceSum', [], { noop_with_empty_axes: 1 }],
  ];
  for (const [name, opset, op, axes, attrs] of rows) {
    it(`opset ${opset}: ${name}`, async () => {
      const r = await gradCheck(graph(opset, op, axes, attrs));
      assert.ok(r.maxRelError < 2e-2, `relative error ${r.maxRelError}: analytic ${r.analytic} numeric ${r.numeric}`);
    });
  }
});
