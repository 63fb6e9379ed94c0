import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImageError } from '../errors/image-error.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

/** Expand the image arguments: files as given, folders to their image files (recursively, sorted). */
export async function collectImages(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    const s = await stat(a).catch((cause: unknown) => {
      throw new ImageError('file not found', { source: a, cause });
    });
    if (s.isDirectory()) {
      const entries = (await readdir(a, { recursive: true })).map(String).sort();
      const found = entries.filter((e) => IMAGE_EXT.has(extname(e).toLowerCase())).map((e) => join(a, e));
      if (found.length === 0) throw new ImageError('folder contains no images (.jpg, .png, .webp, …)', { source: a });
      out.push(...found);
    } else out.push(a);
  }
  return out;
}
