import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInput } from '../image/load.js';
import type { MethodResult } from '../methods/method.js';
import type { ColormapName } from '../viz/colormap.js';
import { minMaxNormalize } from '../viz/normalize.js';
import { maskPng, overlayPng } from '../viz/render.js';
import { commitDir, tempDirFor } from './atomic.js';
import { encodeNpy } from './npy.js';
import { versions } from '../util/versions.js';

/** overlay.png, map.png (min-max normalised), map.npy (raw values) and result.json, atomically. */
export async function writeMethodResult(dir: string, r: MethodResult, image: ImageInput, o: { colormap: ColormapName; alpha: number }): Promise<void> {
  await mkdir(join(dir, '..'), { recursive: true });
  const tmp = await tempDirFor(dir);
  const { map, ...rest } = r;
  const files: [string, Uint8Array | string][] = [
    ['overlay.png', await overlayPng(image.display, r.height, r.width, map, { colormap: o.colormap, alpha: o.alpha })],
    ['map.png', await maskPng(minMaxNormalize(map), r.height, r.width)],
    ['map.npy', encodeNpy(map, [r.height, r.width])],
    ['result.json', JSON.stringify({ ...rest, image: image.source, versions: versions() }, null, 2)],
  ];
  for (const [name, data] of files) await writeFile(join(tmp, name), data);
  await commitDir(tmp, dir);
}
