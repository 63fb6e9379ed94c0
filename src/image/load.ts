import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError } from '../errors/image-error.js';
import type { PreprocessSpec } from '../models/spec.js';
import { centerCropGeometry, unpackPixels, type ImageInput } from './geometry.js';

export { centerCropGeometry, imageToLayout, type CenterCropGeometry, type ImageInput } from './geometry.js';

/**
 * Decode, orient, flatten and resize an image as `spec` describes.
 *
 * Resampling uses sharp's default kernel (lanczos3): no common reference pipeline resizes with a
 * kernel sharp reproduces bit-for-bit (PIL's antialiased bilinear differs from libvips' 'linear'),
 * so we take the sharper, alias-free default rather than pretend to match one.
 */
export async function loadImage(source: string | Uint8Array, spec: PreprocessSpec): Promise<ImageInput> {
  const name = typeof source === 'string' ? source : '<bytes>';
  const bytes = typeof source === 'string' ? await readSource(source) : source;
  const [height, width] = spec.inputSize;
  const grey = spec.channels === 'grey';

  let data: Buffer;
  try {
    let img = sharp(bytes, { autoOrient: true });
    // The crop geometry must use the displayed (EXIF-rotated) size, not the stored one.
    const { width: ow, height: oh } = (await img.metadata()).autoOrient;
    img = img.flatten({ background: '#000000' });
    img = grey ? img.greyscale() : img.toColourspace('srgb');
    if (spec.resize === 'stretch') {
      img = img.resize(width, height, { fit: 'fill' });
    } else if (spec.resize === 'pad') {
      img = img.resize(width, height, { fit: 'contain', background: '#000000' });
    } else {
      const r = centerCropGeometry(oh, ow, height, width, spec.resizeShorter);
      img = img
        .resize(r.resizedWidth, r.resizedHeight, { fit: 'fill' })
        .extract({ left: r.left, top: r.top, width, height });
    }
    const out = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (out.info.width !== width || out.info.height !== height || out.info.channels !== (grey ? 1 : 3)) {
      throw new Error(`unexpected decoded shape ${out.info.width}x${out.info.height}x${out.info.channels}`);
    }
    data = out.data;
  } catch (err) {
    throw new ImageError(`cannot decode image: ${firstLine((err as Error).message)}`, { source: name, cause: err });
  }

  return { source: name, height, width, ...unpackPixels(data, height * width, spec, grey ? 1 : 3) };
}

/**
 * libvips repeats its warnings, one per line (a truncated JPEG gives five): the message keeps the
 * first non-empty line; the full text stays in the error's `cause`.
 */
function firstLine(message: string): string {
  return message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? message;
}

async function readSource(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? (err as Error).message})`;
    throw new ImageError(problem, { source: path, cause: err });
  }
}
