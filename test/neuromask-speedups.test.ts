import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { coarseStep, poolBlocks, stageAt } from '../src/methods/neuromask/coarse-to-fine.js';
import { ConvergenceMonitor } from '../src/methods/neuromask/convergence.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { adam } from '../src/methods/neuromask/optimizer.js';
import { COSINE_FLOOR, scheduledRate } from '../src/methods/neuromask/schedule.js';
import { DEFAULT_MODEL } from '../src/models/builtin.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';

const ROOT = new URL('../', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('test/fixtures/fashion-logits.json', ROOT), 'utf8')) as { images: { file: string }[] };

describe('learning-rate schedule', () => {
  it('constant keeps the base rate; cosine falls monotonically from it to the floor at the last step', () => {
    for (const it of [0, 7, 29]) assert.equal(scheduledRate('constant', 0.2, it, 30), 0.2);
    const rates = Array.from({ length: 30 }, (_, it) => scheduledRate('cosine', 0.2, it, 30));
    assert.equal(rates[0], 0.2);
    assert.ok(Math.abs(rates[29]! - 0.2 * COSINE_FLOOR) < 1e-12, `last ${rates[29]}`);
    for (let i = 1; i < rates.length; i++) assert.ok(rates[i]! < rates[i - 1]!, `not falling at ${i}`);
    // Half way the cosine is at the mean of base and floor.
    assert.ok(Math.abs(scheduledRate('cosine', 1, 50, 101) - (1 + COSINE_FLOOR) / 2) < 1e-12);
  });
});

describe('convergence monitor', () => {
  const still = (n: number) => new Float32Array(n).fill(2);
  it('stops after `patience` steps in which no mask cell moved by the tolerance, and restarts the count on a move', () => {
    const m = new ConvergenceMonitor(still(4), 1, 0.01, 3);
    const w = still(4);
    assert.equal(m.update(w), false);
    assert.equal(m.update(w), false);
    w[2] = 4; // σ(4) − σ(2) ≈ 0.10: a real move
    assert.equal(m.update(w), false);
    assert.equal(m.update(w), false);
    assert.equal(m.update(w), false);
    assert.equal(m.update(w), true);
  });
  it('measures change in mask units: a large logit move in a saturated cell is still', () => {
    const m = new ConvergenceMonitor(Float32Array.from([12]), 1, 0.01, 1);
    assert.ok(m.change(Float32Array.from([20])) < 1e-4);
    assert.ok(m.change(Float32Array.from([0])) > 0.49);
  });
  it('tolerance 0 never stops', () => {
    const m = new ConvergenceMonitor(still(2), 1, 0, 1);
    for (let i = 0; i < 10; i++) assert.equal(m.update(still(2)), false);
  });
});

describe('coarse-to-fine stages', () => {
  it('splits the iterations into equal shares, one block size each', () => {
    assert.deepEqual([0, 9, 10, 19, 20, 29].map((it) => stageAt([4, 2, 1], it, 30).block), [4, 4, 2, 2, 1, 1]);
    assert.deepEqual(stageAt([], 5, 30), { block: 1, index: 0 });
  });
  it('a block moves as one parameter: its gradient is the sum of its cells, every cell gets the same change', () => {
    // 3×3 grid in 2×2 blocks: blocks {0,1,3,4}, {2,5}, {6,7}, {8}.
    const g = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(Array.from(poolBlocks(g, 3, 3, 2)), [1 + 2 + 4 + 5, 3 + 6, 7 + 8, 9]);
    const w = new Float32Array(9);
    const pooled = poolBlocks(Float32Array.from([1, -1, -1, 1, 0, 0, 0, 0, 0]), 3, 3, 2);
    coarseStep(adam(4, { lr: 0.1 }), w, Float32Array.from([1, -1, -1, 1, 0, 0, 0, 0, 0]), 3, 3, 2, 0.1);
    // Block sums: 1 + (−1) + 1 + 0 = 1 > 0 → all four cells of block 0 move by −lr together; block 1 (−1) by +lr.
    assert.deepEqual(Array.from(pooled), [1, -1, 0, 0]);
    for (const i of [0, 1, 3, 4]) assert.ok(Math.abs(w[i]! + 0.1) < 1e-6, `cell ${i}: ${w[i]}`);
    for (const i of [2, 5]) assert.ok(Math.abs(w[i]! - 0.1) < 1e-6, `cell ${i}: ${w[i]}`);
    for (const i of [6, 7, 8]) assert.equal(w[i], 0);
  });
});

describe('NeuroMask stops when the mask has converged', () => {
  let engine: Engine;
  let images: ImageInput[];
  before(async () => {
    const c = await loadClassifier(DEFAULT_MODEL);
    engine = new Engine(c, { ep: 'cpu', threads: 1, cache: false });
    images = await Promise.all(fixture.images.slice(0, 2).map((f) => loadImage(new URL(f.file, ROOT).pathname, c.spec)));
  });
  after(() => engine.release());

  const opts = { preset: 'default', iterations: 300, schedule: 'cosine', seed: 0 } as const;
  it('with a tolerance each item stops early, its own step count and costs reported; without one it runs every step', async () => {
    const [full] = await neuromask(engine, [{ image: images[0]! }], { ...opts });
    assert.equal(full!.iterations, 300);
    assert.equal(full!.lossCurve.length, 300);
    const stopped = await neuromask(engine, images.map((image) => ({ image })), { ...opts, tolerance: 2e-3, patience: 3, batchSize: 2 });
    for (const e of stopped) {
      assert.ok(e.iterations < 300, `ran all ${e.iterations} steps`);
      assert.equal(e.lossCurve.length, e.iterations);
      assert.equal(e.cost.backwardPasses, e.iterations + 1, "the steps and the map refinement");
      // Near the end of a cosine schedule the mask barely moves: stopping loses little.
      assert.ok(e.probabilities.masked > 0.5, `masked p ${e.probabilities.masked}`);
    }
    // An item that stopped keeps its mask while the other goes on: the same as running it alone.
    const [alone] = await neuromask(engine, [{ image: images[0]! }], { ...opts, tolerance: 2e-3, patience: 3 });
    assert.equal(alone!.iterations, stopped[0]!.iterations);
    assert.deepEqual(alone!.maskLogits, stopped[0]!.maskLogits);
  });
});
