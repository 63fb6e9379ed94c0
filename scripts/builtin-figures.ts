/**
 * The README's picture of every built-in and npm-packaged model explaining a real image with the
 * default NeuroMask: the input as the model sees it, and the mask over it.
 * Usage: npx tsx scripts/builtin-figures.ts   (reads ../shared/images; writes docs/images/builtins.png)
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { loadImage } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { overlayPng, panelPng, type PanelTile } from '../src/viz/render.js';

const shared = (f: string): string => new URL(`../../shared/images/${f}`, import.meta.url).pathname;
// Eileen Collins' face in skimage's astronaut photo (public domain, NASA), as a face detector would crop it.
const face = await sharp(shared('astronaut.png')).extract({ left: 160, top: 50, width: 130, height: 130 }).png().toBuffer();

const CASES: { model: string; image: string | Buffer; title: string }[] = [
  { model: 'fashion-mnist-cnn', image: new URL('../assets/images/fashion/7-sneaker.png', import.meta.url).pathname, title: 'sneaker' },
  { model: 'nsfwjs-mobilenet-v2', image: shared('dog.jpg'), title: 'dog.jpg' },
  { model: 'nsfwjs-mobilenet-v2-mid', image: shared('coffee.png'), title: 'coffee.png' },
  { model: 'human-emotion', image: face, title: 'astronaut face' },
];

const SIZE = 224;
const big = (png: Buffer): Promise<Buffer> => sharp(png).resize(SIZE, SIZE, { kernel: 'nearest' }).png().toBuffer();
const tiles: PanelTile[] = [];
for (const c of CASES) {
  const classifier = await loadClassifier(c.model);
  const engine = new Engine(classifier, { ep: 'cpu', threads: 2 });
  const image = await loadImage(c.image, classifier.spec);
  const [e] = await neuromask(engine, [{ image }], { preset: 'default', seed: 0 });
  const { height: h, width: w } = image;
  const input = await sharp(Buffer.from(image.display), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  tiles.push({ png: await big(input), title: c.model });
  tiles.push({ png: await big(await overlayPng(image.display, h, w, e!.mask, { alpha: 0.6 })), title: `${c.title}: ${e!.target.label ?? e!.target.index} p ${e!.probabilities.original.toFixed(2)}, area ${(100 * e!.maskArea).toFixed(0)}%` });
  console.log(`${c.model}: ${e!.target.label} p ${e!.probabilities.original.toFixed(3)} → masked ${e!.probabilities.masked.toFixed(3)}, area ${e!.maskArea.toFixed(3)}, ${e!.cost.seconds.toFixed(1)} s`);
  await engine.release();
}
await writeFile('docs/images/builtins.png', await panelPng(tiles, { columns: 4 }));
