import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadImage } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { DEFAULT_MODEL } from '../src/models/builtin.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { argmax } from '../src/util/softmax.js';

const ROOT = new URL('../', import.meta.url);
interface Fixture { images: { file: string; label: number; logits: number[] }[] }
const fixture = JSON.parse(readFileSync(new URL('test/fixtures/fashion-logits.json', ROOT), 'utf8')) as Fixture;

// The built-in model against PyTorch's logits for the same pixels (recorded when it was trained).
describe('built-in fashion-mnist-cnn', () => {
  it('is the default model, loads from the package, and matches PyTorch on the committed test images', async () => {
    const c = await loadClassifier(DEFAULT_MODEL);
    assert.equal(c.numClasses, 10);
    const e = new Engine(c, { ep: 'cpu', threads: 1 });
    for (const img of fixture.images) {
      const x = await loadImage(new URL(img.file, ROOT).pathname, c.spec);
      const logits = await e.forward(x.pixels, 1);
      assert.equal(argmax(logits), img.label, img.file);
      for (let k = 0; k < 10; k++) assert.ok(Math.abs(logits[k]! - img.logits[k]!) < 1e-3, `${img.file} logit ${k}: ${logits[k]} vs torch ${img.logits[k]}`);
    }
    await e.release();
  });

  it('explains every committed image with the default preset, keeping the class', async () => {
    const c = await loadClassifier(DEFAULT_MODEL);
    const e = new Engine(c, { ep: 'cpu', threads: 2 });
    const items = await Promise.all(fixture.images.map(async (img) => ({ image: await loadImage(new URL(img.file, ROOT).pathname, c.spec) })));
    const out = await neuromask(e, items, { batchSize: 10 });
    out.forEach((ex, i) => {
      assert.equal(ex.target.index, fixture.images[i]!.label);
      assert.ok(ex.probabilities.masked > 0.5, `${ex.image}: masked p ${ex.probabilities.masked}`);
      assert.ok(ex.maskArea < 0.9, `${ex.image}: area ${ex.maskArea}`);
    });
    await e.release();
  });
});
