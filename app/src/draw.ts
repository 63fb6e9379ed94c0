import { applyColormap, type ColormapName } from '../../src/viz/colormap.js';

export type View = 'overlay' | 'heat' | 'input';

export interface DisplaySettings {
  view: View;
  colormap: ColormapName;
  opacity: number;
  signed: boolean;
}

/** Blue (−) through white (0) to red (+), t in [-1, 1]. */
function diverging(t: number): [number, number, number] {
  const a = Math.min(1, Math.abs(t));
  return t >= 0 ? [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a))] : [Math.round(255 * (1 - a)), Math.round(255 * (1 - a)), 255];
}

/** The map's RGB (H×W×3) and the values at the legend's ends. */
export function heatRgb(map: Float32Array, d: DisplaySettings): { rgb: Uint8Array; lo: number; hi: number } {
  if (d.signed) {
    let m = 0;
    for (const v of map) m = Math.max(m, Math.abs(v));
    const rgb = new Uint8Array(map.length * 3);
    map.forEach((v, i) => rgb.set(diverging(m > 0 ? v / m : 0), i * 3));
    return { rgb, lo: -m, hi: m };
  }
  let lo = Infinity;
  let hi = -Infinity;
  const a = map.map(Math.abs);
  for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const t = a.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
  return { rgb: applyColormap(t, d.colormap), lo, hi };
}

/** Draw input / heat map / overlay into `canvas` at the model's resolution (CSS scales it up). */
export function drawMap(canvas: HTMLCanvasElement, display: Uint8Array, map: Float32Array | undefined, h: number, w: number, d: DisplaySettings): { lo: number; hi: number } | undefined {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  const heat = map && d.view !== 'input' ? heatRgb(map, d) : undefined;
  const alpha = d.view === 'heat' ? 1 : d.opacity;
  for (let i = 0; i < h * w; i++) {
    for (let c = 0; c < 3; c++) {
      const base = display[i * 3 + c]!;
      img.data[i * 4 + c] = heat ? Math.round(alpha * heat.rgb[i * 3 + c]! + (1 - alpha) * base) : base;
    }
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return heat && { lo: heat.lo, hi: heat.hi };
}

/** The image seen through the mask (black where the mask is 0). */
export function drawMasked(canvas: HTMLCanvasElement, display: Uint8Array, mask: Float32Array, h: number, w: number): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    for (let c = 0; c < 3; c++) img.data[i * 4 + c] = Math.round(display[i * 3 + c]! * Math.min(1, Math.max(0, mask[i]!)));
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function drawLegend(canvas: HTMLCanvasElement, d: DisplaySettings): void {
  const w = canvas.width;
  const ramp = new Float32Array(w).map((_, i) => (d.signed ? (2 * i) / (w - 1) - 1 : i / (w - 1)));
  const rgb = d.signed ? heatRgb(ramp, d).rgb : applyColormap(ramp, d.colormap);
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, canvas.height);
  for (let y = 0; y < canvas.height; y++) for (let x = 0; x < w; x++) img.data.set([rgb[x * 3]!, rgb[x * 3 + 1]!, rgb[x * 3 + 2]!, 255], (y * w + x) * 4);
  ctx.putImageData(img, 0, 0);
}
