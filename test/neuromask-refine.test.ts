import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeBaseline } from '../src/image/baseline.js';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { evidence, refineMap } from '../src/methods/neuromask/refine.js';
import { DEFAULT_MODEL } from '../src/models/builtin.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { targetGradients } from '../src/runtime/gradients.js';

describe('refinement of the NeuroMask map (pure parts)', () => {
  it('evidence is |Σ_c g·(x − b)| per pixel', () => {
    // 2 channels × 3 pixels, CHW.
    const g = [1, -2, 0.5, 3, 1, -1];
    const x = [0.5, 0.2, 1, 0.1, 0.9, 0];
    const b = [0, 0.2, 0, 0.1, 0.5, 1];
    // pixel 0: 1·0.5 + 3·0 = 0.5; pixel 1: −2·0 + 1·0.4 = 0.4; pixel 2: 0.5·1 + (−1)·(−1) = 1.5
    assert.deepEqual([...evidence(g, x, b, 2)].map((v) => +v.toFixed(6)), [0.5, 0.4, 1.5]);
  });

  it('map = mask · (1 + weight · min-max(evidence)); weight 0 is the mask', () => {
    const mask = Float32Array.from([1, 0.5, 0, 1]);
    const ev = Float32Array.from([0, 2, 4, 4]); // → [0, 0.5, 1, 1]
    assert.deepEqual([...refineMap(mask, ev, 2, 2, { weight: 2, sigma: 0 })], [1, 1, 0, 3]);
    assert.deepEqual([...refineMap(mask, ev, 2, 2, { weight: 0, sigma: 0 })], [...mask]);
    assert.deepEqual([...refineMap(mask, new Float32Array(4), 2, 2, { weight: 5, sigma: 0 })], [...mask], 'flat evidence leaves the mask');
    assert.throws(() => refineMap(mask, ev, 3, 2, { weight: 1, sigma: 0 }), /needs 6/);
  });
});

// The refinement on a real model: the map is the mask scaled by the gradient × (x − b) of the image
// the mask keeps, with the run's own baseline and target.
describe('refined map on the built-in model', () => {
  let engine: Engine;
  let image: ImageInput;
  before(async () => {
    const c = await loadClassifier(DEFAULT_MODEL);
    engine = new Engine(c, { ep: 'cpu', threads: 1, cache: false });
    image = await loadImage(new URL('../assets/images/fashion/9-ankle-boot.png', import.meta.url).pathname, c.spec);
  });
  after(() => engine.release());

  it('reference preset: the map is the mask; default: the mask scaled by central-difference evidence', async () => {
    const [ref] = await neuromask(engine, [{ image }], { preset: 'reference', iterations: 5 });
    assert.equal(ref!.map, ref!.mask);
    const [e] = await neuromask(engine, [{ image }], {});
    const weight = e!.config.refine.weight;
    assert.ok(weight > 0, 'the default refines its map');
    const { mask, map } = e!;
    const [H, W] = engine.classifier.spec.inputSize;
    const base = makeBaseline(e!.config.baseline, image.pixels, 1, H, W, e!.config.blurSigma);
    const masked = image.pixels.map((v, i) => base[i]! + mask[i]! * (v - base[i]!));
    // The map rebuilt here from the run's public outputs: the target's input gradient on the masked
    // image (targetGradients, itself checked against central differences in methods-gradient).
    const g = await targetGradients(engine, masked, 1, [e!.target.index]);
    const want = refineMap(mask, evidence(g.grad, image.pixels, base, 1), H, W, e!.config.refine);
    let worst = 0;
    for (let i = 0; i < map.length; i++) worst = Math.max(worst, Math.abs(map[i]! - want[i]!));
    assert.ok(worst < 1e-5, `map vs rebuilt: max |Δ| ${worst}`);
    assert.ok(map.some((v, i) => v > mask[i]! * 1.5), 'the refinement changes the map');
    for (let i = 0; i < map.length; i++) assert.ok(map[i]! >= mask[i]! - 1e-7 && map[i]! <= mask[i]! * (1 + weight) + 1e-6, `pixel ${i}`);
    assert.ok(e!.cost.backwardPasses === e!.iterations + 1, 'one extra gradient pass');
  });
});
