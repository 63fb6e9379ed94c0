// The npm-packaged TF.js models, end to end through the product (package → import → ONNX Runtime),
// against TF.js itself running the same files: logits and input gradients on real photos.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { imageToLayout, loadImage } from '../src/image/load.js';
import { loadClassifier } from '../src/models/classifier.js';
import { findPackageModel, readPackageModel } from '../src/models/packages.js';
import { Engine } from '../src/runtime/engine.js';
import { targetGradients } from '../src/runtime/gradients.js';
import type { TfjsArtifacts } from '../src/tfjs/types.js';
import { astronautFace, SHARED_IMAGES } from './helpers/shared.js';

await tf.setBackend('cpu');

/** TF.js's own model, changed only so it returns logits: the final softmax becomes linear / the softmax's input is fetched. */
async function tfjsLogitsModel(a: TfjsArtifacts, format: string): Promise<(x: tf.Tensor4D) => tf.Tensor> {
  const topology = structuredClone(a.json.modelTopology) as Record<string, unknown>;
  const w = a.weightData;
  const io = (t: unknown) => tf.io.fromMemory({ modelTopology: t as object, weightSpecs: a.json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[], weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer });
  if (format === 'tfjs-layers') {
    const cfg = (topology['model_config'] as { config: { layers: { config: { activation?: string } }[] } }).config;
    const last = cfg.layers[cfg.layers.length - 1]!;
    assert.equal(last.config.activation, 'softmax');
    last.config.activation = 'linear';
    const m = await tf.loadLayersModel(io(topology));
    return (x) => m.apply(x) as tf.Tensor;
  }
  const nodes = topology['node'] as { name: string; op: string; input: string[] }[];
  const softmax = nodes.find((n) => n.op === 'Softmax');
  assert.ok(softmax);
  const m = await tf.loadGraphModel(io(topology));
  return (x) => m.execute(x, softmax.input[0]) as tf.Tensor;
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((ours[i] ?? NaN) - (ref[i] ?? NaN)));
  return worst / maxAbs(ref);
}

function gradientErrors(ours: ArrayLike<number>, ref: ArrayLike<number>): { l2: number; p99: number } {
  const diffs = Array.from(ref, (r, i) => Math.abs((ours[i] ?? NaN) - r)).sort((a, b) => b - a);
  const l2 = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / Array.from(ref).reduce((s, r) => s + r * r, 0));
  return { l2, p99: diffs[Math.floor(diffs.length / 100)]! / maxAbs(ref) };
}

const CASES = [
  { model: 'nsfwjs-mobilenet-v2', photo: 'dog.jpg', expect: 'Neutral' },
  { model: 'nsfwjs-mobilenet-v2-mid', photo: 'coffee.png', expect: 'Neutral' },
  { model: 'human-emotion', photo: 'face', expect: 'happy' },
] as const;

for (const c of CASES) {
  test(`${c.model}: logits and input gradient equal TF.js's on ${c.photo}`, async (t) => {
    const classifier = await loadClassifier(c.model);
    const pm = findPackageModel(c.model)!;
    const image = await loadImage(c.photo === 'face' ? await astronautFace() : `${SHARED_IMAGES}${c.photo}`, classifier.spec);
    const engine = new Engine(classifier, { ep: 'cpu', threads: 2 });
    try {
      const probe = await engine.forward(image.pixels, 1);
      const top = probe.indexOf(Math.max(...probe));
      assert.equal(classifier.labels?.[top], c.expect, `top-1 on ${c.photo}`);
      const ours = await targetGradients(engine, image.pixels, 1, [top]);

      // TF.js on the same pixels, normalised as the card says, in its own NHWC layout.
      const { mean, std, inputSize } = classifier.spec;
      const nhwc = imageToLayout(image, 'nhwc');
      const ch = image.channels;
      const x = tf.tensor4d(nhwc.map((v, i) => (v - (mean[i % ch] ?? mean[0]!)) / (std[i % ch] ?? std[0]!)), [1, inputSize[0], inputSize[1], ch]);
      const logitsOf = await tfjsLogitsModel(await readPackageModel(pm), pm.format);
      const refLogits = await logitsOf(x).data();
      assert.ok(relErr(ours.logits, refLogits) < 1e-4, `logits rel err ${relErr(ours.logits, refLogits)}`);

      // d logit / d pixel = (d logit / d model input) / std, then NHWC → our CHW.
      const g = tf.grad((t: tf.Tensor) => logitsOf(t as tf.Tensor4D).mul(tf.oneHot([top], classifier.numClasses)).sum())(x);
      const gNhwc = await g.data();
      const plane = inputSize[0] * inputSize[1];
      const ref = new Float32Array(gNhwc.length);
      for (let i = 0; i < plane; i++) for (let k = 0; k < ch; k++) ref[k * plane + i] = gNhwc[i * ch + k]! / (std[k] ?? std[0]!);
      // Float rounding differs (BN folded into the convolutions here, not in TF.js), so a handful of
      // units sitting within rounding of a ReLU6 kink switch sides; each moves a receptive-field-sized
      // blob of the gradient (measured: L2 error 5e-3 on nsfwjs' MobileNetV2, 99% of entries within
      // 4e-4 of the largest). A layout or padding bug moves everything by O(1), so bound both.
      const { l2, p99 } = gradientErrors(ours.grad, ref);
      t.diagnostic(`logits rel err ${relErr(ours.logits, refLogits).toExponential(2)}, gradient L2 ${l2.toExponential(2)}, p99 ${p99.toExponential(2)}`);
      assert.ok(p99 < 1e-3, `99th-percentile gradient error ${p99} of the largest entry`);
      assert.ok(l2 < 1e-2, `relative L2 gradient error ${l2}`);
      assert.ok(maxAbs(ref) > 0, 'reference gradient is not all zero');
    } finally {
      await engine.release();
    }
  });
}
