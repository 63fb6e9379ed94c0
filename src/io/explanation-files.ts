import type { ImageInput } from '../image/load.js';
import type { Explanation } from '../methods/neuromask/neuromask.js';
import type { ColormapName } from '../viz/colormap.js';
import { animationGif, maskedPng, maskPng, overlayPng } from '../viz/render.js';
import { writeFolderAtomic } from './atomic.js';
import { encodeNpy } from './npy.js';

export interface WriteOptions {
  colormap: ColormapName;
  /** Heat-map weight in the overlay (the paper: 0.8 for ImageNet, 0.6 for CIFAR). */
  alpha: number;
  /** Stored in result.json as `settings`: what a rerun compares to skip the image. */
  settings?: Record<string, unknown>;
  /** Checked before the folder is put in place: an interrupted write leaves nothing. */
  signal?: AbortSignal;
}

/** The Explanation without its arrays: what result.json holds. */
export function explanationSummary(e: Explanation): Record<string, unknown> {
  const { mask: _m, map: _s, maskLogits: _l, history, ...rest } = e;
  return { ...rest, historyIterations: history.map((h) => h.iteration) };
}

/**
 * mask.png, overlay.png, masked.png, mask.npy, map.npy (the saliency map metrics rank), result.json
 * (and evolution.gif with a history),
 * written into a temporary folder that is renamed into place only when complete.
 */
export async function writeExplanation(dir: string, e: Explanation, image: ImageInput, o: WriteOptions): Promise<void> {
  const { height: h, width: w } = e;
  await writeFolderAtomic(
    dir,
    async () => {
      const files: [string, Uint8Array | string][] = [
        ['mask.png', await maskPng(e.mask, h, w)],
        ['overlay.png', await overlayPng(image.display, h, w, e.mask, { colormap: o.colormap, alpha: o.alpha })],
        ['masked.png', await maskedPng(image.display, h, w, e.mask)],
        ['mask.npy', encodeNpy(e.mask, [h, w])],
        ['map.npy', encodeNpy(e.map, [h, w])],
        ['result.json', JSON.stringify({ ...explanationSummary(e), ...(o.settings ? { settings: o.settings } : {}) }, null, 2)],
      ];
      if (e.history.length > 1) {
        const frames = await Promise.all(e.history.map((f) => overlayPng(image.display, h, w, f.mask, { colormap: o.colormap, alpha: o.alpha })));
        files.push(['evolution.gif', await animationGif(frames, 120)]);
      }
      return files;
    },
    o.signal,
  );
}
