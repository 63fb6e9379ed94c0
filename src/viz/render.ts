import sharp, { type OverlayOptions as SharpOverlay } from 'sharp';
import { applyColormap, type ColormapName } from './colormap.js';
import { minMaxNormalize } from './normalize.js';

export interface RenderOptions {
  /**
   * Smallest longer side worth looking at (default 224): smaller images (28x28 models) are
   * enlarged by an integer factor with nearest-neighbour, so each model pixel stays a crisp block.
   * 0 disables it.
   */
  minSize?: number;
}

export interface OverlayOptions extends RenderOptions {
  colormap?: ColormapName;
  /** Weight of the heat map in the blend (default 0.5; the paper uses jet at 0.8 for ImageNet). */
  alpha?: number;
}

export interface MaskedOptions extends RenderOptions {
  /** What a zero mask shows (default 'black', i.e. image x mask). */
  baseline?: 'black' | 'white' | 'grey';
}

/** The mask as an 8-bit grey image; values are clamped to [0, 1], not renormalised, so 0.3 looks like 0.3. */
export async function maskPng(mask: Float32Array, h: number, w: number, options: RenderOptions = {}): Promise<Buffer> {
  checkLength('mask', mask.length, h * w);
  const out = new Uint8Array(h * w);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(255 * clamp01(mask[i]!));
  return rawToPng(out, h, w, 1, options);
}

/** The map min-max normalised, coloured, and blended over the image. */
export async function overlayPng(
  display: Uint8Array,
  h: number,
  w: number,
  map: Float32Array,
  options: OverlayOptions = {},
): Promise<Buffer> {
  checkLength('display', display.length, h * w * 3);
  checkLength('map', map.length, h * w);
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`overlay alpha must be in [0, 1], got ${alpha}`);
  const heat = applyColormap(minMaxNormalize(map), options.colormap ?? 'jet');
  const out = new Uint8Array(heat.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(alpha * heat[i]! + (1 - alpha) * display[i]!);
  return rawToPng(out, h, w, 3, options);
}

/** The image seen through the mask: image x m + baseline x (1 - m). */
export async function maskedPng(
  display: Uint8Array,
  h: number,
  w: number,
  mask: Float32Array,
  options: MaskedOptions = {},
): Promise<Buffer> {
  checkLength('display', display.length, h * w * 3);
  checkLength('mask', mask.length, h * w);
  const base = { black: 0, white: 255, grey: 128 }[options.baseline ?? 'black'];
  const out = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const m = clamp01(mask[i]!);
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(display[i * 3 + c]! * m + base * (1 - m));
  }
  return rawToPng(out, h, w, 3, options);
}

export interface PanelTile {
  png: Buffer;
  title?: string;
}

export interface PanelOptions {
  columns?: number;
  /** Pixels between tiles and around the panel (default 8). */
  gap?: number;
  /** Height of the title band above each tile when any tile has a title (default 24). */
  titleHeight?: number;
}

/** Tiles on a white grid, each cell as large as the largest tile, titles above. */
export async function panelPng(tiles: readonly PanelTile[], options: PanelOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new RangeError('panelPng needs at least one tile');
  const columns = Math.max(1, Math.min(options.columns ?? tiles.length, tiles.length));
  const gap = options.gap ?? 8;
  const titled = tiles.some((t) => t.title !== undefined && t.title !== '');
  const band = titled ? (options.titleHeight ?? 24) : 0;
  const sizes = await Promise.all(tiles.map(async (t) => sharp(t.png).metadata()));
  const cellW = Math.max(...sizes.map((m) => m.width));
  const cellH = Math.max(...sizes.map((m) => m.height)) + band;
  const rows = Math.ceil(tiles.length / columns);
  const layers: SharpOverlay[] = [];
  tiles.forEach((tile, i) => {
    const size = sizes[i]!;
    const x = gap + (i % columns) * (cellW + gap);
    const y = gap + Math.floor(i / columns) * (cellH + gap);
    layers.push({ input: tile.png, left: x + Math.floor((cellW - size.width) / 2), top: y + band });
    if (band > 0 && tile.title) layers.push({ input: titleSvg(tile.title, cellW, band), left: x, top: y });
  });
  return sharp({
    create: {
      width: gap + columns * (cellW + gap),
      height: gap + rows * (cellH + gap),
      channels: 3,
      background: '#ffffff',
    },
  })
    .composite(layers)
    .png()
    .toBuffer();
}

/** An endlessly looping animated GIF of equally sized PNG frames (e.g. the mask during optimisation). */
export async function animationGif(frames: readonly Buffer[], delayMs = 100): Promise<Buffer> {
  if (frames.length === 0) throw new RangeError('animationGif needs at least one frame');
  return sharp([...frames], { join: { animated: true } })
    // One delay per frame: a single number only sets the first frame's delay when joining.
    .gif({ delay: frames.map(() => Math.round(delayMs)), loop: 0 })
    .toBuffer();
}

function titleSvg(text: string, width: number, height: number): Buffer {
  const size = Math.max(8, Math.round(height * 0.6));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="${width / 2}" y="${Math.round(height * 0.75)}" text-anchor="middle" ` +
    `font-family="sans-serif" font-size="${size}" fill="#000">${escapeXml(text)}</text></svg>`;
  return Buffer.from(svg);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Integer upscale factor that brings the longer side to at least `minSize`. */
export function upscaleFactor(h: number, w: number, minSize = 224): number {
  const longer = Math.max(h, w);
  return minSize > 0 && longer < minSize ? Math.ceil(minSize / longer) : 1;
}

function rawToPng(data: Uint8Array, h: number, w: number, channels: 1 | 3, options: RenderOptions): Promise<Buffer> {
  const k = upscaleFactor(h, w, options.minSize);
  let img = sharp(data, { raw: { width: w, height: h, channels } });
  // Raw input is taken as sRGB whatever its band count; say 'b-w' so the PNG stays 1-channel grey.
  if (channels === 1) img = img.toColourspace('b-w');
  if (k > 1) img = img.resize(w * k, h * k, { kernel: 'nearest' });
  return img.png().toBuffer();
}

function checkLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new RangeError(`${what} has ${actual} values, expected ${expected}`);
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}
