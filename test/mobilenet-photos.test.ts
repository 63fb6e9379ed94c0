import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadImage } from '../src/image/load.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { SHARED_IMAGES, SHARED_MODELS, useSharedModels } from './helpers/shared.js';

/** Top-1 of the int8 model with onnxruntime-node 1.30, from the model's README. */
const README_TOP1: [string, number][] = [
  ['dog.jpg', 249], ['eagle.jpg', 22], ['squirrel_cls.jpg', 335], ['orange.jpg', 950], ['baboon.jpg', 372],
  ['butterfly.jpg', 321], ['chelsea.png', 285], ['coffee.png', 967], ['motorcycle_left.png', 665],
];

const top = (v: ArrayLike<number>, k: number): number[] => [...Array(v.length).keys()].sort((a, b) => v[b]! - v[a]!).slice(0, k);

// The whole load path: named model from the cache, our image pipeline, dequantized float graph.
describe('dequantized MobileNetV2 on the shared photos', () => {
  let c: Classifier;
  let engine: Engine;
  let int8: ort.InferenceSession;
  before(async () => {
    useSharedModels();
    c = await loadClassifier('mobilenetv2-imagenet');
    engine = new Engine(c, { ep: 'cpu', threads: 2 });
    int8 = await ort.InferenceSession.create(`${SHARED_MODELS}mobilenetv2-12-int8/mobilenetv2-12-int8.onnx`);
  });
  after(async () => {
    await engine.release();
    await int8.release();
  });

  it('gives the README top-1 on every photo, and mostly the int8 model\'s top-5', async () => {
    let sameTop5 = 0;
    for (const [file, expected] of README_TOP1) {
      const img = await loadImage(SHARED_IMAGES + file, c.spec);
      const ours = await engine.forward(img.pixels, 1);
      assert.equal(top(ours, 1)[0], expected, `${file}: top-1 ${top(ours, 1)[0]} (${c.labels![top(ours, 1)[0]!]}), README ${expected}`);
      const x = img.pixels.map((v, i) => (v - c.spec.mean[Math.floor(i / 50176)]!) / c.spec.std[Math.floor(i / 50176)]!);
      const q = (await int8.run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) }))['output']!.data as Float32Array;
      assert.equal(top(q, 1)[0], expected, `${file}: the int8 model itself`);
      const overlap = top(ours, 5).filter((k) => top(q, 5).includes(k)).length;
      if (overlap === 5) sameTop5++;
      assert.ok(overlap >= 3, `${file}: top-5 overlap ${overlap}`);
    }
    assert.ok(sameTop5 >= 5, `same top-5 set on ${sameTop5} of ${README_TOP1.length}`);
  });
});
