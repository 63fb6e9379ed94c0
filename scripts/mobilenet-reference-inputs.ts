/**
 * The photos as neuromask's image pipeline feeds them to mobilenetv2-imagenet (pixels in [0, 1],
 * [3, 224, 224]), one .npy each, for scripts/mobilenet-reference.py: the PyTorch reference must see
 * the very tensor the test feeds (PIL's resize is not sharp's).
 * Usage: NEUROMASK_HOME=../shared/models npx tsx scripts/mobilenet-reference-inputs.ts OUT_DIR IMAGES_DIR PHOTO...
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadImage } from '../src/image/load.js';
import { encodeNpy } from '../src/io/npy.js';
import { loadClassifier } from '../src/models/classifier.js';

const [out, images, ...photos] = process.argv.slice(2);
if (!out || !images || photos.length === 0) throw new Error('usage: mobilenet-reference-inputs.ts OUT_DIR IMAGES_DIR PHOTO...');
const c = await loadClassifier('mobilenetv2-imagenet');
for (const f of photos) {
  const img = await loadImage(join(images, f), c.spec);
  await writeFile(join(out, `${f}.npy`), encodeNpy(img.pixels, [3, 224, 224]));
}
