import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { gaussianBlur, meanColour } from '../src/image/baseline.js';
import type { ImageInput } from '../src/image/load.js';
import { DEFAULT_MODEL } from '../src/models/builtin.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { PreprocessSpecSchema } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { readModel } from '../src/onnx/read.js';
import { prepareGraph } from '../src/onnx/rewrites/index.js';
import type { Graph } from '../src/onnx/types.js';
import { Engine } from '../src/runtime/engine.js';
import { uniform } from '../src/util/random.js';
import { softmax } from '../src/util/softmax.js';
import { auc, deletionInsertion, perturbedBatch, saliencyOrder } from '../src/metrics/deletion-insertion.js';
import { maskArea, maskedProbability, minMax, targetProbabilities } from '../src/metrics/mask-stats.js';
import { energyInBoxes, PointingGame } from '../src/metrics/pointing-game.js';
import { averageRanks, meanPairwiseSpearman, spearman } from '../src/metrics/rank-correlation.js';
import { cascadingRandomisations, floatGraph, modelRandomisationCheck } from '../src/metrics/sanity.js';
import { SHARED_MODELS } from './helpers/shared.js';
import { tinyClassifier } from './helpers/tiny-classifier.js';

const close = (a: number, b: number, tol = 1e-6, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const engines: Engine[] = [];
const engineFor = (c: Classifier): Engine => {
  const e = new Engine(c, { ep: 'cpu', threads: 1 });
  engines.push(e);
  return e;
};
after(async () => {
  for (const e of engines) await e.release();
});

const imageOf = (pixels: Float32Array, channels: number, h: number, w: number): ImageInput => ({
  source: '<test>', height: h, width: w, channels, pixels, display: new Uint8Array(h * w * 3),
});

/** Grey 4×4 → 2 logits: [gain · x[pixel], 0], so p(class 0) = sigmoid(gain · x[pixel]). */
function onePixelClassifier(pixel: number, gain = 10): Classifier {
  const b = new GraphBuilder();
  const x = b.input('input', 'float32', ['N', 1, 4, 4]);
  const w = new Float32Array(32);
  w[pixel] = gain;
  const logits = b.add('Gemm', [b.add('Flatten', [x]), b.floats([2, 16], w), b.floats([2], [0, 0])], { transB: 1 });
  b.push('Identity', [logits], ['logits']);
  b.output('logits', 'float32', ['N', 2]);
  return {
    name: `one-pixel-${pixel}`, source: '<memory>', graph: b.build('one-pixel'), inputName: 'input', outputName: 'logits',
    outputKind: 'logits', format: 'onnx', strippedSoftmax: false, spec: PreprocessSpecSchema.parse({ inputSize: [4, 4], resize: 'stretch', channels: 'grey' }),
    labels: undefined, numClasses: 2,
  };
}

/** A map whose saliency order is exactly `order`. */
const mapWithOrder = (order: number[]): Float32Array => {
  const m = new Float32Array(order.length);
  order.forEach((p, k) => (m[p] = order.length - k));
  return m;
};

describe('auc and saliency order', () => {
  it('integrates known curves by the trapezoid rule', () => {
    assert.equal(auc([0, 0.5, 1], [1, 1, 1]), 1);
    assert.equal(auc([0, 0.5, 1], [0, 0.5, 1]), 0.5);
    assert.equal(auc([0, 0.25, 1], [1, 0, 0]), 0.125); // uneven spacing: only the first interval counts
    assert.equal(auc([0, 1], [0.2, 0.6]), 0.4);
    assert.throws(() => auc([0, 1], [1]), RangeError);
    assert.throws(() => auc([1, 0], [1, 1]), RangeError);
  });

  it('orders pixels by descending saliency, ties by index, NaN last', () => {
    assert.deepEqual([...saliencyOrder([0.5, 0.9, 0.5, NaN, 0.9, -1])], [1, 4, 0, 2, 5, 3]);
    assert.deepEqual([...saliencyOrder([-Infinity, 2, -Infinity, Infinity])], [3, 1, 0, 2]);
  });

  it('builds the perturbed images: the first counts[j] ordered pixels from the finish image, every channel', () => {
    const pixels = Float32Array.from([1, 2, 3, 10, 20, 30]); // 2 channels × 3 pixels
    const sub = Float32Array.from([-1, -2, -3, -10, -20, -30]);
    const del = perturbedBatch(pixels, 2, [2, 0, 1], [0, 1, 3], sub, 'deletion');
    assert.deepEqual([...del], [1, 2, 3, 10, 20, 30, 1, 2, -3, 10, 20, -30, -1, -2, -3, -10, -20, -30]);
    const ins = perturbedBatch(pixels, 2, [2, 0, 1], [2], sub, 'insertion');
    assert.deepEqual([...ins], [1, -2, 3, 10, -20, 30]);
    assert.throws(() => perturbedBatch(pixels, 2, [2, 0, 1], [4], sub, 'deletion'), RangeError);
  });
});

describe('deletion and insertion', () => {
  // Pixel 6 is 5th in saliency order: present for 0 and 4 deleted pixels, gone from 8 on.
  const pixel = 6;
  const order = [0, 1, 2, 3, pixel, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const pixels = Float32Array.from({ length: 16 }, (_, i) => (i === pixel ? 0.8 : i / 20));
  const image = imageOf(pixels, 1, 4, 4);
  const engine = (): Engine => engineFor(onePixelClassifier(pixel));

  it('drops to the substrate value exactly once the pixel read by the model is deleted', async () => {
    const e = engine();
    const r = await deletionInsertion(e, image, mapWithOrder(order), 0, { mode: 'deletion' });
    assert.deepEqual(r.fractions, [0, 0.25, 0.5, 0.75, 1]); // default step = width = 4
    const a = sigmoid(10 * 0.8);
    r.scores.slice(0, 2).forEach((s) => close(s, a, 1e-6, 'before'));
    assert.deepEqual(r.scores.slice(2), [0.5, 0.5, 0.5]); // black: logit exactly 0
    close(r.auc, 0.25 * (a + (a + 0.5) / 2 + 0.5 + 0.5), 1e-6, 'auc');

    const mean = meanColour(pixels, 1, 4, 4)[0]!;
    const m = await deletionInsertion(e, image, mapWithOrder(order), 0, { mode: 'deletion', substrate: 'mean' });
    m.scores.slice(2).forEach((s) => close(s, sigmoid(10 * mean), 1e-6, 'mean substrate'));
  });

  it('honours step (last step partial) and gives the same curve whatever the batch size', async () => {
    const e = engine();
    const map = mapWithOrder(order);
    const r = await deletionInsertion(e, image, map, 0, { mode: 'deletion', step: 3, batchSize: 2 });
    assert.deepEqual(r.fractions, [0, 3, 6, 9, 12, 15, 16].map((c) => c / 16));
    assert.equal(r.scores.length, 7);
    close(r.scores[1]!, sigmoid(8), 1e-6, 'pixel 6 is 5th: still there after 3');
    assert.equal(r.scores[2], 0.5);
    const big = await deletionInsertion(e, image, map, 0, { mode: 'deletion', step: 3, batchSize: 32 });
    // Exact across batch sizes (kernels) only because this model's logit is one product plus exact
    // zeros: no summation order can round it differently on any CPU.
    assert.deepEqual(big.scores, r.scores);
  });

  it('insertion starts at the blurred image and ends at the original', async () => {
    const c = tinyClassifier();
    const e = engineFor(c);
    const px = uniform(3 * 256, 0, 1, 11);
    const img = imageOf(px, 3, 16, 16);
    const r = await deletionInsertion(e, img, uniform(256, -1, 1, 12), 2, { mode: 'insertion', batchSize: 5 });
    assert.equal(r.scores.length, 17); // 16 steps of 16 pixels, plus the start
    assert.equal(r.fractions.at(-1), 1);
    const [blurred] = await targetProbabilities(e, gaussianBlur(px, 3, 16, 16, 5), 1, 2);
    const [original] = await targetProbabilities(e, px, 1, 2);
    close(r.scores[0]!, blurred!, 1e-6, 'start');
    close(r.scores.at(-1)!, original!, 1e-6, 'end');
    assert.notEqual(r.scores[0], r.scores.at(-1));
    // Probabilities, not logits: softmax of the tiny model's output row.
    const logits = await e.forward(px, 1);
    close(original!, softmax(logits)[2]!, 1e-9);
  });
});

describe('gaussian blur', () => {
  // The direct 2-D formula: every output a weighted sum of its (2r+1)² neighbours, read with the edge rule.
  function direct(px: Float32Array, c: number, h: number, w: number, sigma: number, truncate: number, fill?: number[]): Float32Array {
    const r = Math.max(1, Math.ceil(truncate * sigma));
    const g = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
    const sum = g.reduce((a, b) => a + b, 0);
    const k = g.map((v) => v / sum);
    const out = new Float32Array(px.length);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let i = -r; i <= r; i++)
            for (let j = -r; j <= r; j++) {
              const yy = y + i;
              const xx = x + j;
              const outside = yy < 0 || yy >= h || xx < 0 || xx >= w;
              const v = fill && outside ? fill[ch]! : px[ch * h * w + Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))]!;
              s += k[i + r]! * k[j + r]! * v;
            }
          out[ch * h * w + y * w + x] = s;
        }
    return out;
  }
  const px = uniform(2 * 9 * 13, 0, 1, 21);
  for (const [name, sigma, opts] of [
    ['edges replicated', 2, {}],
    ['constant fill per channel, truncate 4', 1.5, { fill: [-2, 3], truncate: 4 }],
  ] as const) {
    it(`equals the direct 2-D formula: ${name}`, () => {
      const got = gaussianBlur(px, 2, 9, 13, sigma, opts);
      const want = direct(px, 2, 9, 13, sigma, 'truncate' in opts ? opts.truncate : 3, 'fill' in opts ? [...opts.fill] : undefined);
      got.forEach((v, i) => close(v, want[i]!, 1e-5, `pixel ${i}`));
    });
  }
});

describe('rank correlation', () => {
  it('averages ranks over ties', () => {
    assert.deepEqual([...averageRanks([10, 20, 10, 30])], [1.5, 3, 1.5, 4]);
  });

  it('matches hand-computed values with ties', () => {
    close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), Math.sqrt(0.9), 1e-12);
    close(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 8 / Math.sqrt(95), 1e-12); // scipy's example, 0.8208
  });

  it('is ±1 for monotone relations, NaN for a constant map', () => {
    const a = [0.1, 5, -3, 2, 9];
    assert.equal(spearman(a, a.map((v) => Math.exp(v))), 1);
    assert.equal(spearman(a, a.map((v) => -(v ** 3))), -1);
    assert.ok(Number.isNaN(spearman(a, [1, 1, 1, 1, 1])));
    assert.throws(() => spearman([1, 2], [1, 2, 3]), RangeError);
  });

  it('averages over all pairs of maps', () => {
    const a = [1, 2, 3, 4];
    close(meanPairwiseSpearman([a, a, [4, 3, 2, 1]]), -1 / 3, 1e-12);
    assert.throws(() => meanPairwiseSpearman([a]), RangeError);
  });
});

describe('pointing game', () => {
  // 20 rows × 30 columns; the maximum at column 25, row 5.
  const h = 20;
  const w = 30;
  const peak = (points: [number, number][]): Float32Array => {
    const m = uniform(h * w, 0, 0.5, 1);
    for (const [x, y] of points) m[y * w + x] = 1;
    return m;
  };

  it('hits within the tolerance (TorchRay: distance < tolerance), misses outside', () => {
    const g = new PointingGame();
    const map = peak([[25, 5]]);
    assert.equal(g.add(map, h, w, [[0, 0, 9, 9]]), false); // 16 columns away
    assert.equal(g.add(map, h, w, [[0, 0, 9, 9]], 17), true);
    assert.equal(g.add(map, h, w, [[20, 0, 21, 3]], 5), true); // d² = 4² + 2² = 20 < 25
    assert.equal(g.add(map, h, w, [[20, 0, 21, 3]], 4), false); // 20 ≥ 16
    assert.equal(g.add(map, h, w, [[20, 0, 22, 1]], 5), false); // d = 5 exactly: not < 5
    assert.equal(g.add(map, h, w, [[25, 5, 25, 5]], 0), true); // inside counts even with no tolerance
    assert.equal(g.add(map, h, w, [[0, 0, 1, 1], [24, 4, 26, 6]], 0), true); // any box
    assert.equal(g.add(map, h, w, [[5, 25, 5, 25]], 3), false); // (x, y), not (row, column)
    assert.equal(g.hits, 4);
    assert.equal(g.misses, 4);
    assert.equal(g.accuracy, 0.5);
    g.reset();
    assert.equal(g.accuracy, 0);
  });

  it('with tied maxima: all must hit by default; "first" takes the first in row-major order', () => {
    const map = peak([[25, 5], [2, 15]]); // (25, 5) comes first in row-major order
    const box: [number, number, number, number][] = [[24, 4, 26, 6]];
    assert.equal(new PointingGame().add(map, h, w, box), false);
    assert.equal(new PointingGame('first').add(map, h, w, box), true);
    assert.equal(new PointingGame('first').add(map, h, w, [[0, 14, 3, 16]], 0), false);
    assert.equal(new PointingGame().add(map, h, w, [[0, 14, 3, 16], [24, 4, 26, 6]], 0), true);
    assert.equal(new PointingGame().add(new Float32Array(h * w), h, w, box), false); // flat map
    assert.throws(() => new PointingGame().add(map, w, h + 1, box), RangeError);
  });

  it('measures the positive energy inside the union of boxes', () => {
    const map = [1, 2, -5, 3, 0, 4]; // 2 rows × 3 columns; positive mass 10
    assert.equal(energyInBoxes(map, 3, [[0, 0, 1, 0]]), 0.3);
    assert.equal(energyInBoxes(map, 3, [[0, 0, 1, 0], [0, 0, 1, 0]]), 0.3); // overlap counted once
    assert.equal(energyInBoxes(map, 3, [[0, 0, 1, 0], [2, 1, 5, 5]]), 0.7); // clipped to the map
    assert.equal(energyInBoxes(map, 3, [[2, 0, 2, 0]]), 0); // only negative mass inside
    assert.equal(energyInBoxes([0, -1], 2, [[0, 0, 1, 0]]), 0);
  });
});

describe('mask statistics', () => {
  it('area is the mean of the clipped mask; minMax', () => {
    assert.equal(maskArea([-1, 0.5, 3, 0.25]), 0.4375);
    assert.deepEqual(minMax([3, -2, 7, 0]), { min: -2, max: 7 });
  });

  it('maskedProbability: all-ones mask = the plain probability, all-zeros = the baseline', async () => {
    const e = engineFor(tinyClassifier());
    const px = uniform(3 * 256, 0, 1, 5);
    const img = imageOf(px, 3, 16, 16);
    const [plain] = await targetProbabilities(e, px, 1, 1);
    close(await maskedProbability(e, img, new Float32Array(256).fill(1), 1, 'blur'), plain!, 1e-7);
    const [black] = await targetProbabilities(e, new Float32Array(3 * 256), 1, 1);
    close(await maskedProbability(e, img, new Float32Array(256), 1, 'black'), black!, 1e-7);
    const [mean] = await targetProbabilities(e, meanColour(px, 3, 16, 16), 1, 1);
    close(await maskedProbability(e, img, new Float32Array(256).fill(-3), 1, 'mean'), mean!, 1e-7);
    assert.notEqual(plain, black);
  });
});

describe('cascading model randomisation', () => {
  const c = tinyClassifier();
  const weightsOf = (g: Graph): Map<string, Float32Array> => {
    const out = new Map<string, Float32Array>();
    for (const n of g.nodes) if (['Conv', 'Gemm'].includes(n.opType)) out.set(n.name, g.initializers.get(n.inputs[1]!)!.data as Float32Array);
    return out;
  };
  const sd = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length - (v.reduce((s, x) => s + x, 0) / v.length) ** 2);

  it('randomises one more layer per step from the output down; lower layers stay identical', () => {
    const cascade = cascadingRandomisations(c, 1);
    const base = floatGraph(c.graph);
    const layers = base.nodes.filter((n) => ['Conv', 'Gemm'].includes(n.opType)).map((n) => n.name).reverse();
    assert.equal(layers.length, 3);
    assert.deepEqual(cascade.map((s) => s.layer), layers);
    const original = weightsOf(base);
    cascade.forEach((step, k) => {
      const w = weightsOf(step.classifier.graph);
      layers.forEach((layer, j) => {
        const before = original.get(layer)!;
        const now = w.get(layer)!;
        if (j <= k) {
          assert.notDeepEqual([...now], [...before], `step ${k}: ${layer} randomised`);
          close(sd(now), sd(before), 0.25 * sd(before), `step ${k}: ${layer} std`);
        } else assert.deepEqual([...now], [...before], `step ${k}: ${layer} untouched`);
      });
      // Biases are not weights: the Gemm's stays.
      const gemm = step.classifier.graph.nodes.find((n) => n.opType === 'Gemm')!;
      assert.deepEqual([...(step.classifier.graph.initializers.get(gemm.inputs[2]!)!.data as Float32Array)], [0.1, -0.1, 0.2, 0].map(Math.fround));
    });
    // Same seed, same cascade.
    assert.deepEqual([...weightsOf(cascadingRandomisations(c, 1)[2]!.classifier.graph).get(layers[2]!)!], [...weightsOf(cascade[2]!.classifier.graph).get(layers[2]!)!]);
  });

  it('changes the logits at every step and runs at any batch size', async () => {
    const px = uniform(2 * 3 * 256, 0, 1, 8);
    let prev = await engineFor(c).forward(px.subarray(0, 768), 1);
    for (const step of cascadingRandomisations(c, 2)) {
      assert.equal(step.classifier.graph.inputs[0]!.shape[0], 'N');
      const e = engineFor(step.classifier);
      const one = await e.forward(px.subarray(0, 768), 1);
      assert.notDeepEqual([...one], [...prev], step.layer);
      const two = await e.forward(px, 2);
      [...one].forEach((v, i) => close(two[i]!, v, 1e-5, `${step.layer}: batch 2 vs 1`));
      prev = one;
    }
  });

  it('fashion-mnist-cnn: one step per Conv/Gemm; re-preparing the float graph changes nothing else', async () => {
    const f = await loadClassifier(DEFAULT_MODEL);
    const cascade = cascadingRandomisations(f, 0);
    assert.equal(cascade.length, 5); // 3 Conv + 2 Gemm
    const want = prepareGraph(f.graph, { batch: 3 });
    const got = prepareGraph(floatGraph(f.graph), { batch: 3 });
    assert.deepEqual(got.nodes, want.nodes);
    assert.deepEqual(got.initializers, want.initializers);
  });

  const MOBILENET = `${SHARED_MODELS}mobilenetv2-12-int8/mobilenetv2-12-int8.onnx`;
  it('MobileNetV2 int8: the float graph keeps its batch-agnostic reshape', { skip: !existsSync(MOBILENET) && 'model not present' }, () => {
    const m = readModel(readFileSync(MOBILENET), MOBILENET);
    const want = prepareGraph(m, { batch: 2 });
    const got = prepareGraph(floatGraph(m), { batch: 2 });
    assert.deepEqual(got.nodes, want.nodes);
    assert.deepEqual(got.initializers, want.initializers);
  });

  it('modelRandomisationCheck: a map that only flips sign gives ρ = −1, and 1 with |map|', async () => {
    const e = engineFor(c);
    const img = imageOf(uniform(768, 0, 1, 4), 3, 16, 16);
    const fixed = uniform(256, -1, 1, 9);
    const flipped = async (x: Engine): Promise<Float32Array> => (x === e ? fixed : fixed.map((v) => -v));
    const signed = await modelRandomisationCheck(e, img, 3, flipped, { absolute: false, seed: 5 });
    const absolute = await modelRandomisationCheck(e, img, 3, flipped, { absolute: true, seed: 5 });
    const cascade = cascadingRandomisations(c, 5);
    assert.deepEqual(signed.map((r) => r.layer), cascade.map((s) => s.layer));
    signed.forEach((r) => close(r.spearman, -1, 1e-12));
    absolute.forEach((r) => close(r.spearman, 1, 1e-12));
    for (const [k, r] of signed.entries()) {
      const [p] = await targetProbabilities(engineFor(cascade[k]!.classifier), img.pixels, 1, 3);
      close(r.probability, p!, 1e-7, r.layer);
    }
  });

  it('modelRandomisationCheck: an occlusion map decorrelates as the model is randomised', async () => {
    const e = engineFor(c);
    const img = imageOf(uniform(768, 0, 1, 4), 3, 16, 16);
    // 4×4 occlusion with black patches: how much each patch carries class 0.
    const occlusion = async (x: Engine): Promise<Float32Array> => {
      const batch = new Float32Array(17 * 768);
      for (let k = 0; k < 17; k++) {
        batch.set(img.pixels, k * 768);
        if (k === 16) continue;
        const [py, pxl] = [Math.floor(k / 4) * 4, (k % 4) * 4];
        for (let ch = 0; ch < 3; ch++) for (let y = py; y < py + 4; y++) batch.fill(0, k * 768 + ch * 256 + y * 16 + pxl, k * 768 + ch * 256 + y * 16 + pxl + 4);
      }
      const p = await targetProbabilities(x, batch, 17, 0);
      return Float32Array.from({ length: 256 }, (_, i) => p[16]! - p[Math.floor(i / 64) * 4 + Math.floor((i % 16) / 4)]!);
    };
    const r = await modelRandomisationCheck(e, img, 0, occlusion, { absolute: true });
    assert.equal(r.length, 3);
    for (const { spearman: rho } of r) assert.ok(rho > -1 && rho < 0.999, `ρ ${rho}`);
  });
});
