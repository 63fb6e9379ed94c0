import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError } from '../errors/image-error.js';
import type { PreprocessSpec } from '../models/spec.js';

export interface ImageInput {
  /** File path, or '<bytes>' for in-memory input. */
  source: string;
  height: number;
  width: number;
  channels: number;
  /** CHW in the spec's channel order, values in [0, 1] (8-bit decode / 255, like torchvision's ToTensor). */
  pixels: Float32Array;
  /** RGB, HxWx3, the same crop as `pixels`; grey images are replicated so overlays can be drawn on it. */
  display: Uint8Array;
}

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

  const plane = height * width;
  const channels = grey ? 1 : 3;
  const pixels = new Float32Array(channels * plane);
  const display = new Uint8Array(plane * 3);
  // BGR only reorders the planes: the same bytes, channel 0 taken from blue.
  const order = spec.channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[grey ? i : i * 3 + c] ?? 0;
      display[i * 3 + c] = v;
      if (c < channels) pixels[c * plane + i] = (data[grey ? i : i * 3 + (order[c] ?? c)] ?? 0) / 255;
    }
  }
  return { source: name, height, width, channels, pixels, display };
}

/**
 * libvips repeats its warnings, one per line (a truncated JPEG gives five): the message keeps the
 * first non-empty line; the full text stays in the error's `cause`.
 */
function firstLine(message: string): string {
  return message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? message;
}

export interface CenterCropGeometry {
  resizedHeight: number;
  resizedWidth: number;
  top: number;
  left: number;
}

/**
 * torchvision's Resize(shorter) + CenterCrop: the long side is truncated and the offset rounded
 * half-to-even as Python does. The scale is raised if needed so the crop always fits (a non-square
 * input size, or `resizeShorter` smaller than the crop).
 */
export function centerCropGeometry(
  srcHeight: number,
  srcWidth: number,
  height: number,
  width: number,
  resizeShorter?: number,
): CenterCropGeometry {
  const shorter = resizeShorter ?? Math.min(height, width);
  const scale = Math.max(shorter / Math.min(srcHeight, srcWidth), height / srcHeight, width / srcWidth);
  // The epsilon keeps the side that set the scale from flooring 223.9999 to 223.
  const resizedHeight = Math.max(height, Math.floor(srcHeight * scale + 1e-9));
  const resizedWidth = Math.max(width, Math.floor(srcWidth * scale + 1e-9));
  return {
    resizedHeight,
    resizedWidth,
    top: roundHalfEven((resizedHeight - height) / 2),
    left: roundHalfEven((resizedWidth - width) / 2),
  };
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
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

/** The model's tensor layout: NCHW is `pixels` itself (no copy); NHWC is an interleaved copy. */
export function imageToLayout(
  image: Pick<ImageInput, 'pixels' | 'height' | 'width' | 'channels'>,
  layout: 'nchw' | 'nhwc',
): Float32Array {
  if (layout === 'nchw') return image.pixels;
  const { pixels, channels } = image;
  const plane = image.height * image.width;
  const out = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) out[i * channels + c] = pixels[c * plane + i] ?? 0;
  }
  return out;
}
