import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../src/errors/cancelled-error.js';
import type { ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import type { Engine } from '../src/runtime/engine.js';
import { mobilenetWithPhoto } from './helpers/shared.js';

// The real ImageNet MobileNetV2 (int8, dequantized at load) on a real photo.
describe('NeuroMask on MobileNetV2', () => {
  let engine: Engine;
  let dog: ImageInput;
  before(async () => {
    ({ engine, image: dog } = await mobilenetWithPhoto('dog.jpg'));
  });
  after(() => engine.release());

  it('reference preset: loss falls from about 600 to about 5 by iteration 400, as in the authors\' notebook', async () => {
    const [e] = await neuromask(engine, [{ image: dog }], { preset: 'reference', iterations: 400, seed: 1 });
    const curve = e!.lossCurve.map((p) => p.total);
    assert.equal(curve.length, 400);
    assert.ok(curve[0]! > 500 && curve[0]! < 700, `start ${curve[0]}`);
    // The smoothness term of a random start dominates at first.
    assert.ok(e!.lossCurve[0]!.terms.smoothness! * 0.03 > 0.9 * curve[0]!);
    assert.ok(curve[399]! < 10 && curve[399]! > 1, `end ${curve[399]}`);
    assert.ok(curve[100]! < curve[0]! && curve[399]! < curve[200]!, 'decreasing');
    assert.equal(e!.target.index, 249);
    assert.deepEqual(e!.config.weights, { prediction: 0.4, sparsity: 0.35, smoothness: 0.03, area: 0, deletion: 0 });
    assert.equal(e!.config.temperature, 0.3);
  });

  it('the same seed reproduces the mask exactly; another seed does not', async () => {
    const run = (seed: number) => neuromask(engine, [{ image: dog }], { preset: 'reference', iterations: 5, seed });
    const [[a], [b], [c]] = await Promise.all([run(7), run(7), run(8)]);
    assert.deepEqual(a!.mask, b!.mask);
    assert.notDeepEqual(a!.mask, c!.mask);
  });

  it('targets by index (class 0 included) and by label; several masks of one image in one batch equal separate runs', async () => {
    const opts = { preset: 'default' as const, iterations: 4, batchSize: 3 };
    const batch = await neuromask(engine, [{ image: dog, target: 0 }, { image: dog, target: 'tandem' }, { image: dog }], opts);
    assert.deepEqual(batch.map((e) => e.target.index), [0, 444, 249]);
    assert.ok(batch[0]!.probabilities.original < 0.01);
    const [single] = await neuromask(engine, [{ image: dog, target: 444 }], { ...opts, batchSize: 1 });
    for (let i = 0; i < single!.mask.length; i += 97) assert.ok(Math.abs(single!.mask[i]! - batch[1]!.mask[i]!) < 1e-4);
  });

  it('progress reports every iteration, and an AbortSignal stops the run', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      neuromask(engine, [{ image: dog }], { iterations: 50 }, { signal: ac.signal, onProgress: (p) => (seen.push(p.iteration), p.iteration === 2 && ac.abort()) }),
      CancelledError,
    );
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it('history keeps every k-th mask', async () => {
    const [e] = await neuromask(engine, [{ image: dog }], { iterations: 6, historyEvery: 3 });
    assert.deepEqual(e!.history.map((h) => h.iteration), [0, 3, 6]);
    assert.equal(e!.history[0]!.mask.length, 224 * 224);
  });
});
