import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImageInput } from '../src/image/load.js';
import { gradCamMethod } from '../src/methods/grad-cam.js';
import { gradientMethod } from '../src/methods/gradient.js';
import { GRADIENT_METHODS } from '../src/methods/gradient-methods.js';
import { integratedGradientsMethod } from '../src/methods/integrated-gradients.js';
import type { ExplanationMethod, MethodContext, MethodResult } from '../src/methods/method.js';
import { smoothgradMethod } from '../src/methods/smoothgrad.js';
import type { Classifier } from '../src/models/classifier.js';
import { PreprocessSpecSchema } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { Engine } from '../src/runtime/engine.js';
import { gaussLegendre } from '../src/util/gauss-legendre.js';
import { randn, rng, uniform } from '../src/util/random.js';
import { argmax } from '../src/util/softmax.js';
import { DOG_BOXES } from './fixtures/index.js';
import { mobilenetWithPhoto } from './helpers/shared.js';
import { tinyClassifier } from './helpers/tiny-classifier.js';

function imageOf(pixels: Float32Array, c: number, h: number, w: number): ImageInput {
  return { source: '<test>', height: h, width: w, channels: c, pixels, display: new Uint8Array(h * w * 3) };
}

function run<M extends ExplanationMethod>(m: M, ctx: MethodContext, image: ImageInput, target: number, options: Record<string, unknown> = {}): Promise<MethodResult> {
  return m.explain(ctx, image, target, m.options.parse(options));
}

function classifier(name: string, graph: ReturnType<GraphBuilder['build']>, c: number, size: number, k: number, mean: number, std: number): Classifier {
  const spec = PreprocessSpecSchema.parse({ inputSize: [size, size], resize: 'stretch', channels: c === 1 ? 'grey' : 'rgb', mean: Array(c).fill(mean), std: Array(c).fill(std) });
  return { name, source: '<memory>', graph, inputName: 'input', outputName: 'logits', outputKind: 'logits', format: 'onnx', strippedSoftmax: false, spec, labels: undefined, numClasses: k };
}

describe('Gauss-Legendre quadrature', () => {
  const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-14, `${a[i]} vs ${v}`));

  it('matches the published 3- and 5-point rules on [-1, 1]', () => {
    const g3 = gaussLegendre(3, -1, 1);
    close(g3.nodes, [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)]);
    close(g3.weights, [5 / 9, 8 / 9, 5 / 9]);
    const g5 = gaussLegendre(5, -1, 1);
    const [a, b] = [Math.sqrt(5 - 2 * Math.sqrt(10 / 7)) / 3, Math.sqrt(5 + 2 * Math.sqrt(10 / 7)) / 3];
    const [wa, wb] = [(322 + 13 * Math.sqrt(70)) / 900, (322 - 13 * Math.sqrt(70)) / 900];
    close(g5.nodes, [-b, -a, 0, a, b]);
    close(g5.weights, [wb, wa, 128 / 225, wa, wb]);
  });

  it('on [0, 1] integrates polynomials of degree 2n − 1 exactly', () => {
    for (const n of [1, 2, 7, 16, 64]) {
      const { nodes, weights } = gaussLegendre(n);
      const deg = 2 * n - 1;
      const q = nodes.reduce((s, x, i) => s + weights[i]! * x ** deg, 0);
      assert.ok(Math.abs(q - 1 / (deg + 1)) < 1e-12, `n=${n}: ${q} vs ${1 / (deg + 1)}`);
    }
  });
});

describe('gradient methods on the tiny classifier', () => {
  const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
  const ctx: MethodContext = { engine, seed: 7 };
  const [C, H, W] = [3, 16, 16];
  const plane = H * W;
  const x = uniform(C * plane, 0.05, 0.95, 11);
  const image = imageOf(x, C, H, W);
  let target = 0;
  before(async () => {
    target = argmax(await engine.forward(x, 1));
  });
  after(() => engine.release());

  it('are exported together under distinct names', () => {
    assert.deepEqual(GRADIENT_METHODS.map((m) => m.name), ['gradient', 'smoothgrad', 'integrated-gradients', 'grad-cam']);
  });

  it('gradient equals central finite differences in [0,1] pixel space', async () => {
    const picks = Array.from({ length: 8 }, (_, i) => Math.floor(rng(3 + i)() * plane));
    const h = 2e-3;
    const batch: Float32Array[] = [];
    for (const p of picks)
      for (let c = 0; c < C; c++)
        for (const s of [1, -1]) {
          const v = x.slice();
          v[c * plane + p]! += s * h;
          batch.push(v);
        }
    const flat = new Float32Array(batch.length * x.length);
    batch.forEach((v, i) => flat.set(v, i * x.length));
    const logits = await engine.forward(flat, batch.length);
    const fd = (i: number, c: number) => (logits[((i * C + c) * 2) * 4 + target]! - logits[((i * C + c) * 2 + 1) * 4 + target]!) / (2 * h);
    for (const reduce of ['max-abs', 'sum-abs', 'l2'] as const) {
      const r = await run(gradientMethod, ctx, image, target, { reduce });
      assert.equal(r.map.length, plane);
      assert.deepEqual(r.target, { index: target, label: engine.classifier.labels![target] });
      picks.forEach((p, i) => {
        const d = [0, 1, 2].map((c) => Math.abs(fd(i, c)));
        const want = reduce === 'max-abs' ? Math.max(...d) : reduce === 'sum-abs' ? d[0]! + d[1]! + d[2]! : Math.hypot(...d);
        assert.ok(Math.abs(r.map[p]! - want) < 2e-3 + 0.02 * want, `${reduce} pixel ${p}: ${r.map[p]} vs fd ${want}`);
      });
    }
  });

  it('smoothgrad with noise 0 is the gradient, exactly', async () => {
    const g = await run(gradientMethod, ctx, image, target);
    const s1 = await run(smoothgradMethod, ctx, image, target, { noise: 0, samples: 3, batchSize: 1 });
    assert.deepEqual(s1.map, g.map);
    const s8 = await run(smoothgradMethod, ctx, image, target, { noise: 0, samples: 10 });
    const worst = Math.max(...s8.map.map((v, i) => Math.abs(v - g.map[i]!)));
    assert.ok(worst <= 1e-6 * Math.max(...g.map), `batched: ${worst}`);
    assert.deepEqual(s8.cost, { ...s8.cost, forwardPasses: 16, backwardPasses: 16 });
  });

  it('smoothgrad is reproducible per seed and differs across seeds', async () => {
    const a = await run(smoothgradMethod, ctx, image, target, { samples: 6, batchSize: 4 });
    const b = await run(smoothgradMethod, ctx, image, target, { samples: 6, batchSize: 3 });
    const c = await run(smoothgradMethod, { ...ctx, seed: 8 }, image, target, { samples: 6, batchSize: 4 });
    const g = await run(gradientMethod, ctx, image, target);
    const dist = (p: Float32Array, q: Float32Array) => Math.max(...p.map((v, i) => Math.abs(v - q[i]!)));
    assert.ok(dist(a.map, b.map) < 1e-6, 'the batch size must not change the noise');
    assert.ok(dist(a.map, c.map) > 1e-3, `seeds 7 and 8 gave the same map`);
    assert.ok(dist(a.map, g.map) > 1e-3, 'noise had no effect');
    const sq = await run(smoothgradMethod, ctx, image, target, { samples: 6, batchSize: 4, squared: true });
    assert.ok(dist(sq.map, a.map) > 1e-3);
  });

  it('integrated gradients is complete within 1% with 64 Gauss-Legendre steps', async () => {
    const r = await run(integratedGradientsMethod, ctx, image, target, { steps: 64 });
    const err = r.options['completenessError'] as number;
    const sum = r.map.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - (r.options['attributionSum'] as number)) < 1e-4 * Math.abs(sum) + 1e-6, `map sum ${sum}`);
    assert.ok(err < 0.01, `completeness error ${err}`);
    assert.equal(r.cost.backwardPasses, 64);
    assert.equal(r.cost.forwardPasses, 66);
  });

  it('Gauss-Legendre at 16 steps beats right Riemann at 16', async () => {
    const errors: Record<string, number> = {};
    for (const rule of ['gauss-legendre', 'riemann-right', 'riemann-middle']) {
      const r = await run(integratedGradientsMethod, ctx, image, target, { steps: 16, rule });
      errors[rule] = r.options['completenessError'] as number;
    }
    assert.ok(errors['gauss-legendre']! < errors['riemann-right']!, JSON.stringify(errors));
  });

  it('integrated gradients is complete from every baseline', async () => {
    const deltas = new Set<string>();
    for (const baseline of ['black', 'blur', 'mean', 'uniform-noise']) {
      const r = await run(integratedGradientsMethod, ctx, image, target, { steps: 64, baseline, blurSigma: 2 });
      const [sum, delta] = [r.options['attributionSum'] as number, r.options['outputDelta'] as number];
      // Absolute, not relative: the noise baseline's f(x) − f(x0) is small (≈ 0.25).
      assert.ok(Math.abs(sum - delta) < 0.03, `${baseline}: Σ ${sum} vs Δf ${delta}`);
      deltas.add(delta.toFixed(4));
    }
    assert.equal(deltas.size, 4, 'two baselines gave the same f(x0)');
  });
});

describe('integrated gradients on a linear model', () => {
  const [C, S, K] = [3, 6, 3];
  const n = C * S * S;
  const wts = randn(K * n, 21);
  const b = new GraphBuilder();
  const inp = b.input('input', 'float32', ['N', C, S, S]);
  const out = b.add('Gemm', [b.add('Flatten', [inp]), b.floats([K, n], wts), b.floats([K], [0.3, -0.2, 0.1])], { transB: 1 });
  b.push('Identity', [out], ['logits']);
  b.output('logits', 'float32', ['N', K]);
  const std = 0.5;
  const engine = new Engine(classifier('linear', b.build('linear'), C, S, K, 0.2, std), { ep: 'cpu', threads: 1 });
  after(() => engine.release());

  it('equals (x − x0)·w summed over channels, for any rule and baseline', async () => {
    const x = uniform(n, 0, 1, 5);
    const t = 1;
    for (const [rule, baseline] of [['gauss-legendre', 'black'], ['riemann-right', 'mean'], ['riemann-middle', 'uniform-noise']] as const) {
      const r = await run(integratedGradientsMethod, { engine, seed: 2 }, imageOf(x, C, S, S), t, { steps: 4, rule, baseline });
      const x0 = baseline === 'black' ? new Float32Array(n) : baseline === 'mean' ? null : uniform(n, 0, 1, 2);
      const plane = S * S;
      for (let i = 0; i < plane; i++) {
        let want = 0;
        for (let c = 0; c < C; c++) {
          const j = c * plane + i;
          const base = x0 ? x0[j]! : x.subarray(c * plane, (c + 1) * plane).reduce((s, v) => s + v, 0) / plane;
          // The model sees (x − mean)/std, so ∂logit/∂pixel = w / std.
          want += ((x[j]! - base) * wts[t * n + j]!) / std;
        }
        assert.ok(Math.abs(r.map[i]! - want) < 1e-5 * (1 + Math.abs(want)), `${rule}/${baseline} pixel ${i}: ${r.map[i]} vs ${want}`);
      }
      assert.ok((r.options['completenessError'] as number) < 1e-5, `${rule}: ${r.options['completenessError']}`);
    }
  });
});

describe('grad-cam', () => {
  // 1×8×8 grey → Conv 3×3 stride 2 pad 1 (2 channels) → Relu 'feat' [2,4,4] → GAP → Gemm → 2 logits.
  const convW = randn(18, 31, 0.8);
  const convB = [0.05, -0.1];
  const fcW = [1.5, -0.7, -0.4, 1.1];
  const b = new GraphBuilder();
  const inp = b.input('input', 'float32', ['N', 1, 8, 8]);
  const conv = b.add('Conv', [inp, b.floats([2, 1, 3, 3], convW), b.floats([2], convB)], { pads: [1, 1, 1, 1], strides: [2, 2] });
  b.push('Relu', [conv], ['feat']);
  const fc = b.add('Gemm', [b.add('Flatten', [b.add('GlobalAveragePool', ['feat'])]), b.floats([2, 2], fcW), b.floats([2], [0, 0])], { transB: 1 });
  b.push('Identity', [fc], ['logits']);
  b.output('logits', 'float32', ['N', 2]);
  const engine = new Engine(classifier('cam-net', b.build('cam-net'), 1, 8, 2, 0.5, 0.5), { ep: 'cpu', threads: 1 });
  after(() => engine.release());

  /** The same Grad-CAM, computed by hand: conv, ReLU, w_k = fc[t,k]/16, then explicit bilinear. */
  function handCam(x: Float32Array, t: number, relu = true): Float32Array {
    const z = x.map((v) => (v - 0.5) / 0.5);
    const cam = new Float64Array(16);
    for (let k = 0; k < 2; k++) {
      const wk = fcW[t * 2 + k]! / 16;
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          let s = convB[k]!;
          for (let u = 0; u < 3; u++)
            for (let v = 0; v < 3; v++) {
              const [y, xx] = [2 * i - 1 + u, 2 * j - 1 + v];
              if (y >= 0 && y < 8 && xx >= 0 && xx < 8) s += convW[k * 9 + u * 3 + v]! * z[y * 8 + xx]!;
            }
          cam[i * 4 + j]! += wk * Math.max(0, s);
        }
    }
    const kept = relu ? cam.map((v) => Math.max(0, v)) : cam;
    const src = (o: number) => Math.min(Math.max((o + 0.5) / 2 - 0.5, 0), 3);
    const out = new Float32Array(64);
    for (let oy = 0; oy < 8; oy++)
      for (let ox = 0; ox < 8; ox++) {
        const [sy, sx] = [src(oy), src(ox)];
        const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
        const [y1, x1] = [Math.min(y0 + 1, 3), Math.min(x0 + 1, 3)];
        const [ty, tx] = [sy - y0, sx - x0];
        const at = (y: number, xx: number) => kept[y * 4 + xx]!;
        out[oy * 8 + ox] = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
      }
    return out;
  }

  it('equals a hand computation, with the default layer found', async () => {
    const x = uniform(64, 0, 1, 9);
    for (const t of [0, 1]) {
      const r = await run(gradCamMethod, { engine, seed: 0 }, imageOf(x, 1, 8, 8), t);
      assert.equal(r.options['layer'], 'feat');
      assert.deepEqual(r.options['layerShape'], [2, 4, 4]);
      const want = handCam(x, t);
      assert.ok(want.some((v) => v > 0) && want.some((v, i) => v !== want[i + 1]), 'degenerate fixture');
      want.forEach((v, i) => assert.ok(Math.abs(r.map[i]! - v) < 1e-5, `t=${t} pixel ${i}: ${r.map[i]} vs ${v}`));
    }
  });

  it('without ReLU keeps negative evidence', async () => {
    const x = uniform(64, 0, 1, 9);
    const r = await run(gradCamMethod, { engine, seed: 0 }, imageOf(x, 1, 8, 8), 1, { relu: false, layer: 'feat' });
    assert.ok(r.map.some((v) => v < 0), 'no negative values: the fixture does not test the option');
    const want = handCam(x, 1, false);
    want.forEach((v, i) => assert.ok(Math.abs(r.map[i]! - v) < 1e-5, `pixel ${i}: ${r.map[i]} vs ${v}`));
  });
});

describe('grad-cam on MobileNetV2', () => {
  let engine: Engine;
  let image: ImageInput;
  before(async () => {
    ({ engine, image } = await mobilenetWithPhoto('dog.jpg'));
  });
  after(() => engine.release());

  it('uses a 7×7 layer by default and peaks on the malamute', async () => {
    const r = await run(gradCamMethod, { engine, seed: 0 }, image, 249);
    const shape = r.options['layerShape'] as number[];
    assert.deepEqual(shape.slice(1), [7, 7]);
    assert.equal(r.map.length, 224 * 224);
    // A 9×9 box blur so one sharp upsampled corner cannot decide the peak.
    const blurred = new Float32Array(r.map.length);
    for (let y = 0; y < 224; y++)
      for (let x = 0; x < 224; x++) {
        let s = 0;
        for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) s += r.map[Math.min(223, Math.max(0, y + dy)) * 224 + Math.min(223, Math.max(0, x + dx))]!;
        blurred[y * 224 + x] = s;
      }
    const p = argmax(blurred);
    const [px, py] = [p % 224, Math.floor(p / 224)];
    const [x0, y0, x1, y1] = DOG_BOXES.malamute;
    assert.ok(px >= x0 && px <= x1 && py >= y0 && py <= y1, `peak at (${px}, ${py}), layer ${r.options['layer']} ${shape}`);
  });
});
