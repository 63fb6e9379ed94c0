import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import type { Engine } from '../src/runtime/engine.js';
import { DOG_BOXES } from './fixtures/index.js';
import { mobilenetWithPhoto } from './helpers/shared.js';

type Box = readonly [number, number, number, number];
const inside = (x: number, y: number, b: Box): boolean => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

/** Peak of the mask after a 9×9 box blur (a single bright pixel cannot win). */
function peak(mask: Float32Array, size: number): [number, number] {
  let best = -1;
  let at: [number, number] = [0, 0];
  for (let y = 4; y < size - 4; y++)
    for (let x = 4; x < size - 4; x++) {
      let s = 0;
      for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) s += mask[(y + dy) * size + x + dx]!;
      if (s > best) [best, at] = [s, [x, y]];
    }
  return at;
}

function massInside(mask: Float32Array, size: number, b: Box): number {
  let inBox = 0;
  let total = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      total += mask[y * size + x]!;
      if (inside(x, y, b)) inBox += mask[y * size + x]!;
    }
  return inBox / total;
}

// The acceptance check of the default preset on a real photo: the mask sits on the object.
describe('default preset on MobileNetV2: dog.jpg', () => {
  let engine: Engine;
  let dog: ImageInput;
  before(async () => {
    ({ engine, image: dog } = await mobilenetWithPhoto('dog.jpg'));
  });
  after(() => engine.release());

  it('explains malamute on the dog, and bicycle-built-for-two on the bicycle', async () => {
    const [mal, bike] = await neuromask(engine, [{ image: dog }, { image: dog, target: 444 }], { preset: 'default', seed: 0 });
    assert.equal(mal!.target.index, 249);
    const [mx, my] = peak(mal!.mask, 224);
    assert.ok(inside(mx, my, DOG_BOXES.malamute), `malamute peak at ${mx},${my}`);
    // The dog box is 28% of the crop; the mask puts far more of its mass there.
    assert.ok(massInside(mal!.mask, 224, DOG_BOXES.malamute) > 0.5, `dog mass ${massInside(mal!.mask, 224, DOG_BOXES.malamute)}`);
    assert.ok(mal!.probabilities.masked > 0.5, `masked p ${mal!.probabilities.masked}`);
    assert.ok(mal!.maskArea < 0.4, `area ${mal!.maskArea}`);

    const [bx, by] = peak(bike!.mask, 224);
    assert.ok(inside(bx, by, DOG_BOXES.bicycle), `bicycle peak at ${bx},${by}`);
    const dogOnly = (e: typeof mal): number => massInside(e!.mask, 224, DOG_BOXES.dogBelowBicycle);
    assert.ok(dogOnly(bike) < dogOnly(mal) / 2, `mass on the dog's body: ${dogOnly(mal)} for malamute, ${dogOnly(bike)} for the bicycle`);
    assert.ok(massInside(bike!.mask, 224, DOG_BOXES.bicycle) > 0.6, `bicycle mass ${massInside(bike!.mask, 224, DOG_BOXES.bicycle)}`);
  });
});
