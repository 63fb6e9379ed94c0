import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadImage, type ImageInput } from '../../src/image/load.js';
import { loadClassifier } from '../../src/models/classifier.js';
import { Engine } from '../../src/runtime/engine.js';
import { ASTRONAUT_FACE } from '../fixtures/index.js';

/** `../shared/` beside the checkout: the real model and photos for tests (never committed). */
export const SHARED_MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
export const SHARED_IMAGES = fileURLToPath(new URL('../../../shared/images/', import.meta.url));

/** Point the named-model cache at the shared models, as the tests and benchmarks do. */
export function useSharedModels(): void {
  process.env['NEUROMASK_HOME'] = SHARED_MODELS;
}

/** The ImageNet MobileNetV2 bound to ONNX Runtime (2 threads) and one shared photo at its input size. */
export async function mobilenetWithPhoto(photo: string): Promise<{ engine: Engine; image: ImageInput }> {
  useSharedModels();
  const c = await loadClassifier('mobilenetv2-imagenet');
  return { engine: new Engine(c, { ep: 'cpu', threads: 2 }), image: await loadImage(`${SHARED_IMAGES}${photo}`, c.spec) };
}

/** The astronaut's face crop (PNG bytes), the input of the face-expression model. */
export function astronautFace(): Promise<Buffer> {
  return sharp(`${SHARED_IMAGES}astronaut.png`).extract(ASTRONAUT_FACE).png().toBuffer();
}
