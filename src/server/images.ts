import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageError } from '../errors/image-error.js';
import { assetsDir } from '../models/builtin.js';
import { sha256 } from '../util/sha256.js';
import { HttpError } from './errors.js';

/** Largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Largest decoded image accepted, in pixels (a 64-megapixel photo; libvips' own limit is 268 M). */
export const MAX_PIXELS = 64_000_000;

const SIGNATURES: { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'webp', test: (b) => String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP' },
  { type: 'gif', test: (b) => String.fromCharCode(...b.subarray(0, 4)) === 'GIF8' },
];

/** The image type read from the bytes themselves (never from a name or a client's header). */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.test(bytes))?.type;
}

export interface StoredImage {
  id: string;
  name: string;
  bytes: Uint8Array;
  width: number;
  height: number;
}

/** Decode the whole image once, so a truncated or hostile file is refused at upload, not later. */
export async function checkImage(bytes: Uint8Array, name: string): Promise<StoredImage> {
  if (bytes.length === 0) throw new HttpError(400, 'the upload is empty');
  if (bytes.length > MAX_UPLOAD_BYTES) throw new HttpError(413, `the upload is ${(bytes.length / 1e6).toFixed(1)} MB; the limit is ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
  const type = sniffImageType(bytes);
  if (!type) throw new HttpError(415, `${name} is not a PNG, JPEG, WebP or GIF image`);
  try {
    const { info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return { id: sha256(bytes).slice(0, 16), name, bytes, width: info.width, height: info.height };
  } catch (cause) {
    const why = ((cause as Error).message.split('\n')[0] ?? '').trim();
    throw new ImageError(`cannot decode this ${type} image: ${why}`, { source: name, cause });
  }
}

/**
 * Uploaded and example images by id, in memory, the oldest dropped beyond `capacity` images or
 * `maxBytes` in all. Only ids travel; no path from a client is ever opened.
 */
export class ImageStore {
  private readonly images = new Map<string, StoredImage>();
  private bytes = 0;
  constructor(
    private readonly capacity = 64,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  put(img: StoredImage): StoredImage {
    this.drop(img.id);
    this.images.set(img.id, img);
    this.bytes += img.bytes.length;
    while (this.images.size > 1 && (this.images.size > this.capacity || this.bytes > this.maxBytes)) this.drop(this.images.keys().next().value!);
    return img;
  }

  private drop(id: string): void {
    const old = this.images.get(id);
    if (!old) return;
    this.bytes -= old.bytes.length;
    this.images.delete(id);
  }

  get(id: string): StoredImage {
    const img = this.images.get(id);
    if (!img) throw new HttpError(404, `no image ${JSON.stringify(id)} on the server (upload it again)`);
    return img;
  }
}

export interface Example {
  name: string;
  file: string;
}

/** The bundled example images (assets/images/<set>/*.png), by file name; read from the package, never from a request. */
export async function listExamples(): Promise<Example[]> {
  const root = join(assetsDir(), 'images');
  const sets = await readdir(root, { withFileTypes: true }).catch(() => []);
  const out: Example[] = [];
  for (const s of sets.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = (await readdir(join(root, s.name))).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort();
    out.push(...files.map((f) => ({ name: `${s.name}/${f}`, file: join(root, s.name, f) })));
  }
  return out;
}

export async function readExample(examples: readonly Example[], name: string): Promise<Uint8Array> {
  const e = examples.find((x) => x.name === name);
  if (!e) throw new HttpError(404, `no bundled example ${JSON.stringify(name)}`);
  return readFile(e.file);
}
