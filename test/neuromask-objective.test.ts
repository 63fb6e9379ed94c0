import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { laplacian } from '../src/methods/neuromask/objective.js';
import { bilinearMatrix, maskFromLogitsHost } from '../src/methods/neuromask/parameterization.js';
import { REFERENCE_CIFAR } from '../src/methods/neuromask/presets.js';
import { buildStepGraph, STEP } from '../src/methods/neuromask/step-graph.js';
import { Engine } from '../src/runtime/engine.js';
import { createSession } from '../src/runtime/session.js';
import { writeModel } from '../src/onnx/write.js';
import { softmax } from '../src/util/softmax.js';
import { randn, uniform } from '../src/util/random.js';
import { tinyClassifier } from './helpers/tiny-classifier.js';

const H = 16;
const c = tinyClassifier();

async function stepSession(weights = REFERENCE_CIFAR.weights, param: [number, number] = [H, H], smoothness: 'laplacian' | 'gradient' = 'laplacian', n = 2) {
  const engine = new Engine(c, { ep: 'cpu', threads: 1 });
  const g = buildStepGraph({
    model: engine.graph(weights.deletion ? 2 * n : n),
    inputName: c.inputName,
    outputName: c.outputName,
    outputKind: 'logits',
    spec: c.spec,
    batch: n,
    numClasses: 4,
    paramShape: param,
    temperature: 0.7,
    weightLimit: 10,
    laplacianSize: 3,
    smoothness,
    weights,
  });
  return createSession(writeModel(g), { ep: 'cpu', threads: 1 });
}

const image = uniform(2 * 3 * H * H, 0, 1, 5);
const baseline = new Float32Array(image.length);
const target = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 0]);

function feeds(w: Float32Array, param: [number, number] = [H, H]) {
  return {
    [STEP.w]: { data: w, dims: [2, 1, ...param] },
    [STEP.image]: { data: image, dims: [2, 3, H, H] },
    [STEP.baseline]: { data: baseline, dims: [2, 3, H, H] },
    [STEP.target]: { data: target, dims: [2, 4] },
  };
}

describe('NeuroMask objective graph', () => {
  it('each loss term equals an independent TypeScript computation of the reference formulas', async () => {
    const s = await stepSession();
    const w = randn(2 * H * H, 11, 4);
    const r = await s.run(feeds(w));
    const k = laplacian(3);
    for (let n = 0; n < 2; n++) {
      const wn = w.subarray(n * H * H, (n + 1) * H * H);
      const sparse = wn.reduce((a, v) => a + Math.abs(v + 10), 0) / wn.length;
      let smooth = 0;
      for (let i = 0; i < H - 2; i++)
        for (let j = 0; j < H - 2; j++) {
          let acc = 0;
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) acc += k[a * 3 + b]! * wn[(i + a) * H + j + b]!;
          smooth += acc * acc;
        }
      smooth /= (H - 2) * (H - 2);
      const logits = r[STEP.logits]!.data.subarray(n * 4, n * 4 + 4);
      const ce = -Math.log(softmax(logits)[n === 0 ? 2 : 0]!);
      assert.ok(Math.abs(r[STEP.term('sparsity')]!.data[n]! - sparse) < 1e-3 * sparse);
      assert.ok(Math.abs(r[STEP.term('smoothness')]!.data[n]! - smooth) < 1e-3 * smooth);
      assert.ok(Math.abs(r[STEP.term('prediction')]!.data[n]! - ce) < 1e-4 + 1e-4 * ce);
      const total = 0.4 * ce + 0.35 * sparse + 0.15 * smooth;
      assert.ok(Math.abs(r[STEP.loss]!.data[n]! - total) < 1e-3 * total);
    }
    await s.release();
  });

  it('the masked image seen by the model is x·sigmoid(w/T) then normalised (mask before normalisation)', async () => {
    const s = await stepSession();
    const w = randn(2 * H * H, 12, 2);
    const r = await s.run(feeds(w));
    const m = maskFromLogitsHost(w.subarray(0, H * H), 0.7, [H, H], [H, H]);
    const masked = new Float32Array(3 * H * H);
    for (let ch = 0; ch < 3; ch++) for (let i = 0; i < H * H; i++) masked[ch * H * H + i] = image[ch * H * H + i]! * m[i]!;
    const e = new Engine(c, { ep: 'cpu', threads: 1 });
    const direct = await e.forward(masked, 1);
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(direct[j]! - r[STEP.logits]!.data[j]!) < 1e-4);
    await Promise.all([s.release(), e.release()]);
  });

  for (const [name, weights, param, smooth] of [
    ['reference terms, full-resolution mask', REFERENCE_CIFAR.weights, [H, H], 'laplacian'],
    ['area + deletion + gradient smoothness, coarse 4×4 mask', { prediction: 1, sparsity: 0, smoothness: 0.5, area: 2, deletion: 1 }, [4, 4], 'gradient'],
  ] as const) {
    it(`gradient for the mask logits matches central finite differences (${name})`, async () => {
      const p = [...param] as [number, number];
      const s = await stepSession(weights, p, smooth);
      const P = p[0] * p[1];
      const w = randn(2 * P, 21, 1.5);
      const total = async (v: Float32Array): Promise<number> => {
        const r = await s.run(feeds(v, p));
        return r[STEP.loss]!.data[0]! + r[STEP.loss]!.data[1]!;
      };
      const g = (await s.run(feeds(w, p)))[STEP.grad]!.data;
      const h = 1e-3;
      for (let d = 0; d < 3; d++) {
        const v = randn(2 * P, 40 + d);
        const fd = ((await total(w.map((x, i) => x + h * v[i]!))) - (await total(w.map((x, i) => x - h * v[i]!)))) / (2 * h);
        const gv = g.reduce((a, gi, i) => a + gi * v[i]!, 0);
        assert.ok(Math.abs(fd - gv) <= 2e-2 * Math.max(Math.abs(fd), 1e-2), `fd ${fd} vs g·v ${gv}`);
      }
      await s.release();
    });
  }

  it('gradient smoothness is the mean squared neighbour difference over rows plus over columns', async () => {
    const s = await stepSession({ prediction: 1, sparsity: 0, smoothness: 1, area: 0, deletion: 0 }, [4, 4], 'gradient');
    const w = randn(2 * 16, 13, 2);
    const r = await s.run(feeds(w, [4, 4]));
    for (let n = 0; n < 2; n++) {
      const at = (i: number, j: number): number => w[n * 16 + i * 4 + j]!;
      let rows = 0;
      let cols = 0;
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 3; j++) {
          rows += (at(j + 1, i) - at(j, i)) ** 2;
          cols += (at(i, j + 1) - at(i, j)) ** 2;
        }
      const expected = rows / 12 + cols / 12;
      assert.ok(Math.abs(r[STEP.term('smoothness')]!.data[n]! - expected) < 1e-4 * expected);
    }
    await s.release();
  });

  it('bilinear upsampling rows sum to one and reproduce a constant', () => {
    const m = bilinearMatrix(224, 28);
    for (let i = 0; i < 224; i++) {
      let s = 0;
      for (let j = 0; j < 28; j++) s += m[i * 28 + j]!;
      assert.ok(Math.abs(s - 1) < 1e-6);
    }
    const up = maskFromLogitsHost(new Float32Array(49).fill(2), 1, [7, 7], [28, 28]);
    for (const v of up) assert.ok(Math.abs(v - 1 / (1 + Math.exp(-2))) < 1e-6);
  });
});
