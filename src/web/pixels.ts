import { applyColormap, type ColormapName } from '../viz/colormap.js';
import { minMaxNormalize } from '../viz/normalize.js';

export interface MaskPixelsOptions {
  /** 'grey' by default: the mask's own values, clamped to [0, 1] (not renormalised). */
  colormap?: ColormapName;
  /** Min-max normalise first (saliency maps with any range); default false (masks are in [0, 1]). */
  normalize?: boolean;
  /** Blend over this RGB image (HxWx3, e.g. `ImageInput.display`) with weight `alpha` for the map. */
  over?: Uint8Array;
  alpha?: number;
}

/**
 * A mask or saliency map (h·w values) as RGBA pixels for `new ImageData(rgba, w, h)` and a canvas:
 * the same colour maps and blend as the PNGs Node writes.
 */
export function maskToRgba(map: Float32Array, h: number, w: number, o: MaskPixelsOptions = {}): Uint8ClampedArray<ArrayBuffer> {
  if (map.length !== h * w) throw new RangeError(`map has ${map.length} values, expected ${h}x${w}`);
  if (o.over && o.over.length !== h * w * 3) throw new RangeError(`image has ${o.over.length} bytes, expected ${h}x${w}x3`);
  const alpha = o.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  const rgb = applyColormap(o.normalize ? minMaxNormalize(map) : map, o.colormap ?? 'grey');
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    for (let c = 0; c < 3; c++) {
      const v = rgb[i * 3 + c]!;
      out[i * 4 + c] = o.over ? Math.round(alpha * v + (1 - alpha) * o.over[i * 3 + c]!) : v;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** RGB (HxWx3) to RGBA for a canvas. */
export function rgbToRgba(rgb: Uint8Array, h: number, w: number): Uint8ClampedArray<ArrayBuffer> {
  if (rgb.length !== h * w * 3) throw new RangeError(`image has ${rgb.length} bytes, expected ${h}x${w}x3`);
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    out[i * 4] = rgb[i * 3]!;
    out[i * 4 + 1] = rgb[i * 3 + 1]!;
    out[i * 4 + 2] = rgb[i * 3 + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}
