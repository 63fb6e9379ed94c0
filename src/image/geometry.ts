import type { PreprocessSpec } from '../models/spec.js';

/** The platform-free half of image loading: the decoded image's shape, crop geometry and layouts. */

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

/**
 * 8-bit decoded pixels, `stride` bytes per pixel (1: grey, 3: RGB, 4: RGBA with alpha already
 * flattened) → the model's CHW planes in [0, 1] (BGR only reorders the planes) and an RGB copy for display.
 */
export function unpackPixels(data: ArrayLike<number>, plane: number, spec: PreprocessSpec, stride: number): Pick<ImageInput, 'channels' | 'pixels' | 'display'> {
  const grey = spec.channels === 'grey';
  const channels = grey ? 1 : 3;
  const pixels = new Float32Array(channels * plane);
  const display = new Uint8Array(plane * 3);
  const order = spec.channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[stride === 1 ? i : i * stride + c] ?? 0;
      display[i * 3 + c] = v;
      if (c < channels) pixels[c * plane + i] = (data[stride === 1 ? i : i * stride + (order[c] ?? c)] ?? 0) / 255;
    }
  }
  return { channels, pixels, display };
}
