import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { GraphBuilder } from '../src/onnx/builder.js';
import { MAX_OPSET } from '../src/onnx/opsets.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';
import { uniform } from '../src/util/random.js';
import { loopClassifier } from './helpers/loop-model.js';
import { opsetGraph } from './helpers/opset-classifier.js';
import { cli } from './helpers/run-cli.js';

// Models that used to be accepted and then explained wrongly or failed late (issue 9, section 3).

const S = 12;

/** A folder with `name`.onnx, its card (12×12, pixels in [0,1] fed as they are) and a 12×12 photo.png. */
async function folder(name: string, g: Graph, card: object = {}): Promise<{ dir: string; pixels: Float32Array }> {
  const dir = mkdtempSync(join(tmpdir(), `nm-model-${name}-`));
  writeFileSync(join(dir, `${name}.onnx`), writeModel(g));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ preprocess: { inputSize: [S, S], resize: 'stretch' }, ...card }));
  const rgb = Uint8Array.from(uniform(S * S * 3, 0, 255, 8), Math.round);
  await sharp(rgb, { raw: { width: S, height: S, channels: 3 } }).png().toFile(join(dir, 'photo.png'));
  // The model's own input: CHW in [0,1] (mean 0, std 1), exactly what the PNG decodes to.
  const pixels = new Float32Array(3 * S * S);
  for (let i = 0; i < S * S; i++) for (let c = 0; c < 3; c++) pixels[c * S * S + i] = rgb[i * 3 + c]! / 255;
  return { dir, pixels };
}

const result = (dir: string): Record<string, any> => JSON.parse(readFileSync(join(dir, 'out', 'photo', 'result.json'), 'utf8'));

function withSoftmax(g: Graph): Graph {
  const b = new GraphBuilder(g);
  const out = b.outputs[0]!;
  b.nodes.forEach((n, i) => {
    if (n.outputs.includes(out.name)) b.nodes[i] = { ...n, outputs: n.outputs.map((o) => (o === out.name ? 'pre' : o)) };
  });
  b.push('Flatten', [b.add('Softmax', ['pre'], { axis: -1 })], [out.name]);
  return b.build(g.name);
}

describe('models that are accepted must be explained right', () => {
  it('a model ending in Softmax: the logits are explained and the probability is the model\'s own', async () => {
    const { dir, pixels } = await folder('sm', withSoftmax(opsetGraph(17)), { labels: ['a', 'b', 'c'] });
    const s = await ort.InferenceSession.create(readFileSync(join(dir, 'sm.onnx')));
    const own = (await s.run({ input: new ort.Tensor('float32', pixels, [1, 3, S, S]) })).logits!.data as Float32Array;
    await s.release();
    const ins = cli(['inspect', 'sm.onnx'], dir);
    assert.equal(ins.code, 0, ins.stderr);
    assert.match(ins.stdout, /explains\s+logits: the graph's final softmax is removed/);
    const r = cli(['explain', 'photo.png', '-m', 'sm.onnx', '-n', '2', '--target', '1', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    const res = result(dir);
    assert.deepEqual(res.modelOutput, { kind: 'logits', strippedSoftmax: true });
    assert.ok(Math.abs(res.probabilities.original - own[1]!) < 1e-5, `reported ${res.probabilities.original}, the model says ${own[1]}`);
  });

  it(`an opset-18 model explains with the default method (exit 0); opset ${MAX_OPSET + 1} is refused up front (exit 4)`, async () => {
    const { dir } = await folder('op18', opsetGraph(18));
    const r = cli(['explain', 'photo.png', '-m', 'op18.onnx', '-n', '2', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(result(dir).lossCurve.length, 2);
    writeFileSync(join(dir, 'op27.onnx'), writeModel({ ...opsetGraph(18), opsets: { '': MAX_OPSET + 1 } }));
    writeFileSync(join(dir, 'op27.json'), JSON.stringify({ preprocess: { inputSize: [S, S], resize: 'stretch' } }));
    for (const cmd of [['inspect', 'op27.onnx'], ['explain', 'photo.png', '-m', 'op27.onnx', '-o', 'out27']]) {
      const bad = cli(cmd, dir);
      assert.equal(bad.code, 4, bad.stderr);
      assert.match(bad.stderr, new RegExp(`opset ${MAX_OPSET + 1}, newer than the newest neuromask supports \\(${MAX_OPSET}`));
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
    assert.equal(existsSync(join(dir, 'out27')), false);
  });

  it('grad-cam on a model with dynamic height and width takes them from the image size', async () => {
    const g = opsetGraph(17);
    const { dir } = await folder('dyn', { ...g, inputs: [{ ...g.inputs[0]!, shape: ['N', 3, 'H', 'W'] }] });
    const ins = cli(['inspect', 'dyn.onnx'], dir);
    assert.equal(ins.code, 0, ins.stderr);
    assert.match(ins.stdout, /gradient\s+ok/);
    const r = cli(['explain', 'photo.png', '-m', 'dyn.onnx', '--method', 'grad-cam', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(result(dir).options.layerShape, [4, 6, 6]);
  });

  it('a Loop (graph-typed attribute) is read; without a gradient rule it is named, exit 4', async () => {
    const { dir } = await folder('loop', loopClassifier());
    writeFileSync(join(dir, 'loop.json'), JSON.stringify({ preprocess: { inputSize: [8, 8], resize: 'stretch' } }));
    const ins = cli(['inspect', 'loop.onnx'], dir);
    assert.equal(ins.code, 4, ins.stderr);
    assert.match(ins.stdout, /ops\s+.*Loop 1/);
    assert.match(ins.stdout, /gradient\s+NOT available: unsupported op Loop \(node "n_Loop"\): no gradient rule/);
    const r = cli(['explain', 'photo.png', '-m', 'loop.onnx', '-o', 'out'], dir);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /unsupported op Loop \(node "n_Loop"\): no gradient rule for this op/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // Forward-only methods run it: the subgraph survives reading and writing.
    const occ = cli(['explain', 'photo.png', '-m', 'loop.onnx', '--method', 'occlusion', '--options', '{"patch": 4}', '-o', 'out'], dir);
    assert.equal(occ.code, 0, occ.stderr);
  });
});
