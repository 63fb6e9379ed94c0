import type { ImageInput } from '../image/load.js';
import type { MethodResult } from '../methods/method.js';
import { minMaxNormalize } from '../viz/normalize.js';
import { maskPng, overlayPng } from '../viz/render.js';
import { writeFolderAtomic } from './atomic.js';
import type { WriteOptions } from './explanation-files.js';
import { encodeNpy } from './npy.js';
import { versions } from '../util/versions.js';

/** overlay.png, map.png (min-max normalised), map.npy (raw values) and result.json, atomically. */
export async function writeMethodResult(dir: string, r: MethodResult, image: ImageInput, o: WriteOptions): Promise<void> {
  const { map, mask: _mask, ...rest } = r;
  await writeFolderAtomic(
    dir,
    async () => [
      ['overlay.png', await overlayPng(image.display, r.height, r.width, map, { colormap: o.colormap, alpha: o.alpha })],
      ['map.png', await maskPng(minMaxNormalize(map), r.height, r.width)],
      ['map.npy', encodeNpy(map, [r.height, r.width])],
      ['result.json', JSON.stringify({ ...rest, image: image.source, versions: versions(), ...(o.settings ? { settings: o.settings } : {}) }, null, 2)],
    ],
    o.signal,
  );
}
