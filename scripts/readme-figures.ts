/**
 * The README's pictures: dog.jpg explained by the reference method (2000 steps) and by the default,
 * for the prediction (malamute) and for class 444 (bicycle-built-for-two).
 * Usage: NEUROMASK_HOME=../shared/models npx tsx scripts/readme-figures.ts
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { loadImage } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { overlayPng, panelPng } from '../src/viz/render.js';

process.env['NEUROMASK_HOME'] ??= new URL('../../shared/models/', import.meta.url).pathname;
const c = await loadClassifier('mobilenetv2-imagenet');
const engine = new Engine(c, { ep: 'cpu', threads: 2 });
const image = await loadImage(new URL('../../shared/images/dog.jpg', import.meta.url).pathname, c.spec);
const [ref] = await neuromask(engine, [{ image }], { preset: 'reference', seed: 0 });
const [def, bike] = await neuromask(engine, [{ image }, { image, target: 444 }], { preset: 'default', seed: 0 });
const tile = async (e: typeof ref, title: string) => ({
  png: await overlayPng(image.display, 224, 224, e!.mask, { alpha: 0.6 }),
  title: `${title}, area ${(100 * e!.maskArea).toFixed(1)}%`,
});
const original = await sharp(Buffer.from(image.display), { raw: { width: 224, height: 224, channels: 3 } }).png().toBuffer();
const panel = await panelPng(
  [
    { png: original, title: 'dog.jpg' },
    await tile(ref, 'reference 2000 it'),
    await tile(def, `default ${def!.config.iterations} it`),
    await tile(bike, 'default, class 444'),
  ],
  { columns: 4 },
);
await writeFile('docs/images/dog-reference-vs-default.png', panel);
console.log(
  [ref, def, bike].map((e) => `${e!.config.iterations} it: target ${e!.target.index} p ${e!.probabilities.masked.toFixed(3)} area ${e!.maskArea.toFixed(3)} ${e!.cost.seconds.toFixed(1)} s`).join('\n'),
);
await engine.release();
