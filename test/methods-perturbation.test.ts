import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ImageInput } from '../src/image/load.js';
import { extremalPerturbation, extremalPerturbationMethod, ExtremalPerturbationOptionsSchema } from '../src/methods/extremal-perturbation.js';
import { meaningfulPerturbation, meaningfulPerturbationMethod, meaningfulPerturbationObjective, MeaningfulPerturbationOptionsSchema } from '../src/methods/meaningful-perturbation.js';
import { gaussianBlur } from '../src/image/baseline.js';
import { occlusionMethod, OcclusionOptionsSchema } from '../src/methods/occlusion.js';
import { PERTURBATION_METHODS } from '../src/methods/perturbation-methods.js';
import { riseMaskSampler, riseMethod, RiseOptionsSchema } from '../src/methods/rise.js';
import type { Classifier } from '../src/models/classifier.js';
import { PreprocessSpecSchema } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { Engine } from '../src/runtime/engine.js';
import { randn, uniform } from '../src/util/random.js';
import { mobilenetWithPhoto } from './helpers/shared.js';

/** logits = W·flatten(x) + bias: a model whose every output we can compute by hand. */
function linearClassifier(weights: Float32Array, bias: number[], size: number, channels: 'grey' | 'rgb'): Classifier {
  const c = channels === 'grey' ? 1 : 3;
  const K = bias.length;
  const b = new GraphBuilder();
  const x = b.input('input', 'float32', ['N', c, size, size]);
  const y = b.add('Gemm', [b.add('Flatten', [x]), b.floats([K, c * size * size], weights), b.floats([K], bias)], { transB: 1 });
  b.push('Identity', [y], ['logits']);
  b.output('logits', 'float32', ['N', K]);
  return {
    name: `linear-${size}-${weights.length}-${weights[0]}`,
    source: '<memory>',
    graph: b.build('linear'),
    inputName: 'input',
    outputName: 'logits',
    outputKind: 'logits', format: 'onnx', strippedSoftmax: false,
    spec: PreprocessSpecSchema.parse({ inputSize: [size, size], resize: 'stretch', channels }),
    labels: undefined,
    numClasses: K,
  };
}

const S = 16;
/** The square [y0, y0+5) × [x0, x0+5): 25 pixels, about 10% of 16×16. */
const SQ = { y0: 4, x0: 8, n: 5 };
const inSquare = (i: number): boolean => {
  const y = Math.floor(i / S);
  const x = i % S;
  return y >= SQ.y0 && y < SQ.y0 + SQ.n && x >= SQ.x0 && x < SQ.x0 + SQ.n;
};

/**
 * Class 0's logit is 12·(mean brightness of the square − 0.5); class 1's is 0. With `mirrored` it
 * reads the square's mirror image too, so a horizontally flipped input (EP's jitter) scores the same.
 */
function squareClassifier(mirrored = false): Classifier {
  const w = new Float32Array(2 * 3 * S * S);
  const reads = (i: number): boolean => inSquare(i) || (mirrored && inSquare(i - (i % S) + S - 1 - (i % S)));
  for (let ch = 0; ch < 3; ch++) for (let i = 0; i < S * S; i++) if (reads(i)) w[ch * S * S + i] = 12 / (3 * SQ.n * SQ.n);
  return linearClassifier(w, [-6, 0], S, 'rgb');
}

/** A bright square where the model looks, on a dim textured background. */
function squareImage(): ImageInput {
  const noise = uniform(3 * S * S, 0, 0.2, 9);
  const pixels = Float32Array.from(noise, (v, j) => (inSquare(j % (S * S)) ? 1 : v));
  return { source: '<test>', height: S, width: S, channels: 3, pixels, display: new Uint8Array(S * S * 3) };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
function insideOutside(map: Float32Array): { inside: number; outside: number } {
  const all = [...map.keys()];
  return { inside: mean(all.filter(inSquare).map((i) => map[i]!)), outside: mean(all.filter((i) => !inSquare(i)).map((i) => map[i]!)) };
}

const engines: Engine[] = [];
function engineFor(c: Classifier): Engine {
  const e = new Engine(c, { ep: 'cpu', threads: 1 });
  engines.push(e);
  return e;
}
after(async () => {
  for (const e of engines) await e.release();
});

describe('occlusion', () => {
  it('equals the hand-computed average probability drop at chosen pixels', async () => {
    const N = 8;
    const w = randn(2 * N * N, 4, 0.5).map((v, i) => (i < N * N ? v : 0));
    const engine = engineFor(linearClassifier(w, [0.3, 0], N, 'grey'));
    const pixels = uniform(N * N, 0, 1, 7);
    const image: ImageInput = { source: '<test>', height: N, width: N, channels: 1, pixels, display: new Uint8Array(N * N * 3) };
    const p0 = (x: Float32Array): number => 1 / (1 + Math.exp(-(0.3 + x.reduce((s, v, i) => s + v * w[i]!, 0))));
    const imageMean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
    for (const fill of ['black', 'mean'] as const) {
      const r = await occlusionMethod.explain({ engine, seed: 0 }, image, 0, OcclusionOptionsSchema.parse({ patch: 4, stride: 2, fill }));
      const origins = [0, 2, 4];
      for (const [py, px] of [[0, 0], [3, 5], [7, 7], [4, 1]] as const) {
        const drops: number[] = [];
        for (const y0 of origins)
          for (const x0 of origins) {
            if (py < y0 || py >= y0 + 4 || px < x0 || px >= x0 + 4) continue;
            const x = pixels.slice();
            for (let y = y0; y < y0 + 4; y++) for (let xx = x0; xx < x0 + 4; xx++) x[y * N + xx] = fill === 'black' ? 0 : imageMean;
            drops.push(p0(pixels) - p0(x));
          }
        assert.ok(Math.abs(r.map[py * N + px]! - mean(drops)) < 1e-5, `${fill} (${py},${px}): ${r.map[py * N + px]} vs ${mean(drops)}`);
      }
      assert.equal(r.cost.forwardPasses, 1 + 9);
    }
  });

  it('gives zero on the half of the image the model never reads; defaults follow the input size', async () => {
    const w = randn(3 * 3 * S * S, 5, 0.3).map((v, i) => (i % S < S / 2 ? v : 0));
    const engine = engineFor(linearClassifier(w, [0, 0.1, -0.1], S, 'rgb'));
    const image = squareImage();
    const r = await occlusionMethod.explain({ engine, seed: 0 }, image, 1, OcclusionOptionsSchema.parse({ patch: 4, stride: 4, fill: 'black' }));
    const left = [...r.map.keys()].filter((i) => i % S < S / 2);
    const right = [...r.map.keys()].filter((i) => i % S >= S / 2);
    for (const i of right) assert.ok(Math.abs(r.map[i]!) < 1e-6, `pixel ${i}: ${r.map[i]}`);
    assert.ok(Math.max(...left.map((i) => Math.abs(r.map[i]!))) > 1e-3);
    const d = await occlusionMethod.explain({ engine, seed: 0 }, image, 1, OcclusionOptionsSchema.parse({}));
    assert.deepEqual([d.options['patch'], d.options['stride'], d.options['fill']], [2, 1, 'mean']);
  });
});

describe('RISE', () => {
  it('masks have mean p, values in [0, 1], and are reproducible from the seed', () => {
    const sample = riseMaskSampler(30, 20, 5, 0.3, 42);
    let sum = 0;
    let count = 0;
    for (let k = 0; k < 400; k++) {
      const m = sample();
      for (const v of m) {
        assert.ok(v >= 0 && v <= 1);
        sum += v;
        count++;
      }
    }
    assert.ok(Math.abs(sum / count - 0.3) < 0.02, `mean ${sum / count}`);
    const a = riseMaskSampler(30, 20, 5, 0.3, 7);
    const b = riseMaskSampler(30, 20, 5, 0.3, 7);
    const c = riseMaskSampler(30, 20, 5, 0.3, 8);
    const [a1, a2, b1, b2, c1] = [a(), a(), b(), b(), c()];
    assert.deepEqual(a1, b1);
    assert.deepEqual(a2, b2);
    assert.notDeepEqual(a1, a2);
    assert.notDeepEqual(a1, c1);
  });

  it('is higher inside the square the model reads than outside, with progress reported', async () => {
    const engine = engineFor(squareClassifier());
    const progress: number[] = [];
    const r = await riseMethod.explain({ engine, seed: 3, onProgress: (d) => progress.push(d) }, squareImage(), 0, RiseOptionsSchema.parse({ masks: 300, cells: 4, batchSize: 64 }));
    const { inside, outside } = insideOutside(r.map);
    assert.ok(inside > outside + 0.1, `inside ${inside}, outside ${outside}`);
    assert.deepEqual(progress, [64, 128, 192, 256, 300]);
    assert.equal(r.cost.forwardPasses, 300);
  });
});

describe('meaningful perturbation', () => {
  it("computes the paper's objective and its gradient (checked against float64 finite differences)", async () => {
    // Fong & Vedaldi (2017), eq. 3 without jitter: λ1·‖1 − m‖₁ + λ2·Σ‖∇m‖_β^β + f_c(Φ(x0; m)),
    // Φ = m·x0 + (1 − m)·blur(x0), f_c the softmax probability; ours writes both sums as means.
    // Evaluated here by hand in float64 on a linear model, the mask at full resolution (no upsampling).
    const n = 6;
    const [K, C] = [3, 3];
    const Wt = randn(K * C * n * n, 21, 0.5);
    const base = linearClassifier(Wt, [0.1, -0.2, 0.3], n, 'rgb');
    const spec = { ...base.spec, mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25] };
    const engine = engineFor({ ...base, name: `${base.name}-mp-objective`, spec });
    const pixels = uniform(C * n * n, 0, 1, 22);
    const image = { source: '<bytes>', height: n, width: n, channels: C, pixels } as ImageInput;
    const o = MeaningfulPerturbationOptionsSchema.parse({ maskScale: 1, blurSigma: 1.5, l1: 0.3, tv: 2, beta: 3 });
    const target = 1;
    const blurred = gaussianBlur(pixels, C, n, n, o.blurSigma);
    const objective = (w: ArrayLike<number>): number => {
      const m = Array.from(w, (v) => 1 / (1 + Math.exp(-v)));
      const l1 = m.reduce((a, v) => a + (1 - v), 0) / (n * n);
      let dy = 0;
      let dx = 0;
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          if (y + 1 < n) dy += Math.abs(m[(y + 1) * n + x]! - m[y * n + x]!) ** o.beta;
          if (x + 1 < n) dx += Math.abs(m[y * n + x + 1]! - m[y * n + x]!) ** o.beta;
        }
      const tv = dy / ((n - 1) * n) + dx / (n * (n - 1));
      const logits = [0.1, -0.2, 0.3];
      for (let k = 0; k < K; k++)
        for (let ch = 0; ch < C; ch++)
          for (let i = 0; i < n * n; i++) {
            const j = ch * n * n + i;
            const phi = m[i]! * pixels[j]! + (1 - m[i]!) * blurred[j]!;
            logits[k]! += Wt[k * C * n * n + j]! * ((phi - spec.mean[ch]!) / spec.std[ch]!);
          }
      const z = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - z));
      return o.l1 * l1 + o.tv * tv + e[target]! / e.reduce((a, v) => a + v, 0);
    };
    const f = await meaningfulPerturbationObjective(engine, image, target, o);
    assert.deepEqual(f.param, [n, n]);
    const w = randn(n * n, 23, 1.5);
    const r = await f.evaluate(w);
    const want = objective(w);
    assert.ok(Math.abs(r.loss - want) < 1e-5 * Math.max(1, Math.abs(want)), `loss ${r.loss}, by hand ${want}`);
    const h = 1e-5;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      const [up, down] = [Float64Array.from(w), Float64Array.from(w)];
      up[i]! += h;
      down[i]! -= h;
      const fd = (objective(up) - objective(down)) / (2 * h);
      worst = Math.max(worst, Math.abs(r.grad[i]! - fd));
      scale = Math.max(scale, Math.abs(fd));
    }
    assert.ok(scale > 1e-3 && worst < 1e-4 * scale + 1e-7, `max |grad − finite difference| ${worst} (largest ${scale})`);
  });

  it('lowers its loss and deletes most where the model reads', async () => {
    const engine = engineFor(squareClassifier());
    // A 16 px input at the default scale 8 would leave a 2×2 mask; 2 gives 8×8 cells.
    const o = MeaningfulPerturbationOptionsSchema.parse({ maskScale: 2 });
    const run = await meaningfulPerturbation(engine, squareImage(), 0, o);
    const first = run.lossCurve[0]!;
    const last = run.lossCurve.at(-1)!;
    assert.ok(last.loss < first.loss - 0.5, `loss ${first.loss} → ${last.loss}`);
    assert.ok(last.probability < 0.1, `p ${first.probability} → ${last.probability}`);
    const r = await meaningfulPerturbationMethod.explain({ engine, seed: 0 }, squareImage(), 0, o);
    const { inside, outside } = insideOutside(r.map);
    // The paper's TV (β = 3) outweighs its L1 a hundredfold, so the deletion ramps out smoothly.
    assert.ok(inside > 0.9 && inside > outside + 0.2, `deleted inside ${inside}, outside ${outside}`);
    assert.ok(inSquare(r.map.indexOf(Math.max(...r.map))));
    assert.equal(r.cost.backwardPasses, 300);
  });
});

describe('extremal perturbation', () => {
  it('lowers its energy, keeps the square the model reads, and meets the area (with flip jitter)', async () => {
    // The model reads the square's mirror image too, so the flipped steps see the same evidence.
    const engine = engineFor(squareClassifier(true));
    const run = await extremalPerturbation(engine, squareImage(), 0, ExtremalPerturbationOptionsSchema.parse({ iterations: 300 }));
    const first = run.lossCurve[0]!;
    const last = run.lossCurve.at(-1)!;
    assert.ok(last.loss < first.loss / 4, `energy ${first.loss} → ${last.loss}`);
    const mask = run.masks[0]!;
    const { inside, outside } = insideOutside(mask);
    // TorchRay constrains the area of the full mask, σ = 3 px of margin included (22² px here):
    // 10% of it is 48 px, 19% of the 16² crop, the 25 px square among them (after 300 steps the
    // growing area weight has not quite pulled the soft mask down to it).
    assert.ok(inside > 0.5 && outside < 0.25, `kept inside ${inside}, outside ${outside}`);
    const area = mask.reduce((t, v) => t + v, 0) / mask.length;
    assert.ok(area > 0.12 && area < 0.3, `area ${area}`);
  });

  it('gives one mask per area, the first being the map', async () => {
    const engine = engineFor(squareClassifier());
    const o = ExtremalPerturbationOptionsSchema.parse({ iterations: 200, areas: [0.05, 0.3], jitter: false });
    const run = await extremalPerturbation(engine, squareImage(), 0, o);
    const frac = run.masks.map((m) => m.filter((v) => v > 0.5).length / m.length);
    assert.ok(frac[0]! < frac[1]! - 0.1, `areas ${frac}`);
    const r = await extremalPerturbationMethod.explain({ engine, seed: 0 }, squareImage(), 0, { ...o, iterations: 20 });
    assert.equal(r.map.length, S * S);
  });
});

describe('live frames of the optimising perturbation methods', () => {
  it('extremal and meaningful perturbation report every iteration; the frames end at the result', async () => {
    const engine = engineFor(squareClassifier());
    const frames: { method: string; iteration: number; map: Float32Array; total: number; p: number | undefined }[] = [];
    const ep = ExtremalPerturbationOptionsSchema.parse({ iterations: 12, jitter: false });
    const mp = MeaningfulPerturbationOptionsSchema.parse({ iterations: 12 });
    const r = await extremalPerturbationMethod.explain({ engine, seed: 0, onFrame: (f) => frames.push({ method: 'ep', iteration: f.iteration, map: f.map(), total: f.total, p: f.targetProbability }) }, squareImage(), 0, ep);
    const m = await meaningfulPerturbationMethod.explain({ engine, seed: 0, onFrame: (f) => frames.push({ method: 'mp', iteration: f.iteration, map: f.map(), total: f.total, p: f.targetProbability }) }, squareImage(), 0, mp);
    for (const method of ['ep', 'mp']) {
      const own = frames.filter((f) => f.method === method);
      assert.deepEqual(own.map((f) => f.iteration), [...Array(12).keys()], method);
      for (const f of own) assert.ok(f.map.length === S * S && f.map.every((v) => v >= 0 && v <= 1) && Number.isFinite(f.total), method);
      assert.notDeepEqual(own[0]!.map, own.at(-1)!.map, `${method}: the map moves`);
    }
    // EP's result is the mask of its last step (as TorchRay's); MP reports probabilities, EP none.
    assert.deepEqual(frames.filter((f) => f.method === 'ep').at(-1)!.map, r.map);
    assert.ok(frames.every((f) => (f.method === 'mp') === (f.p !== undefined)));
    // MP's last frame is the map before the last update: close to the result, not past it.
    const lastMp = frames.filter((f) => f.method === 'mp').at(-1)!.map;
    assert.ok(lastMp.every((v, i) => Math.abs(v - m.map[i]!) < 0.2));
  });
});

describe('perturbation methods on MobileNetV2', () => {
  it('a short extremal-perturbation and meaningful-perturbation run on dog.jpg give finite maps', async () => {
    const { engine, image } = await mobilenetWithPhoto('dog.jpg');
    engines.push(engine);
    const ep = await extremalPerturbationMethod.explain({ engine, seed: 0 }, image, 249, ExtremalPerturbationOptionsSchema.parse({ iterations: 3 }));
    const mp = await meaningfulPerturbationMethod.explain({ engine, seed: 0 }, image, 249, MeaningfulPerturbationOptionsSchema.parse({ iterations: 3 }));
    for (const r of [ep, mp]) {
      assert.equal(r.map.length, 224 * 224);
      assert.ok(r.map.every(Number.isFinite));
      assert.ok(Math.max(...r.map) <= 1 && Math.min(...r.map) >= 0);
    }
    assert.equal(r0(ep.target.label), 'malamute');
  });
});

describe('PERTURBATION_METHODS', () => {
  it('holds the four methods with distinct names and parseable default options', () => {
    assert.deepEqual(PERTURBATION_METHODS.map((m) => m.name), ['occlusion', 'rise', 'meaningful-perturbation', 'extremal-perturbation']);
    for (const m of PERTURBATION_METHODS) assert.doesNotThrow(() => m.options.parse({}));
  });
});

function r0(label: string | undefined): string | undefined {
  return label?.split(',')[0]?.trim();
}
