import { ImageError } from '../errors/image-error.js';
import { centerCropGeometry, unpackPixels, type ImageInput } from '../image/geometry.js';
import type { PreprocessSpec } from '../models/spec.js';

export type WebImageSource = ImageBitmap | ImageData | Blob | HTMLImageElement;

/** What to draw and where: the destination rectangle on the model-sized canvas. */
interface Placement {
  dx: number;
  dy: number;
  dw: number;
  dh: number;
}

/** Node's policy (sharp): 'stretch' fills, 'pad' fits inside centred on black, 'center-crop' as torchvision. */
function place(spec: PreprocessSpec, srcH: number, srcW: number): Placement {
  const [h, w] = spec.inputSize;
  if (spec.resize === 'stretch') return { dx: 0, dy: 0, dw: w, dh: h };
  if (spec.resize === 'pad') {
    const s = Math.min(w / srcW, h / srcH);
    const dw = Math.max(1, Math.round(srcW * s));
    const dh = Math.max(1, Math.round(srcH * s));
    return { dx: Math.floor((w - dw) / 2), dy: Math.floor((h - dh) / 2), dw, dh };
  }
  const g = centerCropGeometry(srcH, srcW, h, w, spec.resizeShorter);
  return { dx: -g.left, dy: -g.top, dw: g.resizedWidth, dh: g.resizedHeight };
}

async function bitmapOf(src: WebImageSource): Promise<ImageBitmap> {
  if (typeof ImageBitmap !== 'undefined' && src instanceof ImageBitmap) return src;
  if (typeof Blob !== 'undefined' && src instanceof Blob) return createImageBitmap(src, { imageOrientation: 'from-image', premultiplyAlpha: 'default' });
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement) await src.decode();
  return createImageBitmap(src as ImageData | HTMLImageElement);
}

/**
 * An image decoded in the browser (createImageBitmap, EXIF orientation applied) and resized on an
 * OffscreenCanvas with the spec's resize/crop policy, flattened on black, as Node's `loadImage`
 * gives it. The resampling kernel is the browser's ('high' smoothing), not sharp's lanczos3, so
 * pixels differ by a few levels after a resize; without a resize they are the decoded bytes.
 */
export async function imageTensor(source: WebImageSource, spec: PreprocessSpec, name = '<browser image>'): Promise<ImageInput> {
  const [height, width] = spec.inputSize;
  let rgba: Uint8ClampedArray;
  try {
    const bmp = await bitmapOf(source);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2d canvas context');
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, width, height);
    const p = place(spec, bmp.height, bmp.width);
    const same = p.dw === bmp.width && p.dh === bmp.height;
    ctx.imageSmoothingEnabled = !same;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bmp, p.dx, p.dy, p.dw, p.dh);
    if (bmp !== source) bmp.close();
    rgba = ctx.getImageData(0, 0, width, height).data;
  } catch (cause) {
    throw new ImageError(`cannot decode image: ${(cause as Error).message ?? String(cause)}`, { source: name, cause });
  }
  const plane = height * width;
  if (spec.channels !== 'grey') return { source: name, height, width, ...unpackPixels(rgba, plane, spec, 4) };
  // libvips' sRGB → b-w weights (Rec. 709 luma), on the 8-bit values.
  const grey = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) grey[i] = Math.round(0.2126 * rgba[i * 4]! + 0.7152 * rgba[i * 4 + 1]! + 0.0722 * rgba[i * 4 + 2]!);
  return { source: name, height, width, ...unpackPixels(grey, plane, spec, 1) };
}
