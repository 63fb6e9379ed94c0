import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import { resolveInside, unsafeRelativePath } from '../io/inside-root.js';
import { describeZodError } from '../util/zod-words.js';

/** [x0, y0, x1, y1], inclusive, in model-input pixels. */
export type Box = [number, number, number, number];

const coord = z.number().int().nonnegative();
const BoxSchema = z
  .tuple([coord, coord, coord, coord])
  .refine(([x0, y0, x1, y1]) => x0 <= x1 && y0 <= y1, { message: 'a box is [x0, y0, x1, y1] with x0 <= x1 and y0 <= y1' });

/** Strict: a misspelt key (`bbox`) is an error, not an image silently scored without boxes. */
export const ManifestSchema = z.strictObject({
  images: z
    .array(
      z.strictObject({
        file: z.string().min(1),
        target: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
        boxes: z.array(BoxSchema).optional(),
        /** Informational (the benchmark generator records its model's prediction); not used. */
        predicted: z.number().int().optional(),
      }),
    )
    .min(1, { message: 'the manifest lists no images' }),
  /** Informational: what made the manifest, and with which seed. */
  source: z.string().optional(),
  seed: z.number().optional(),
});

/** One image to evaluate: `source` is resolved against the manifest's folder, `id` names its output folder. */
export interface ManifestEntry {
  id: string;
  source: string;
  target?: number | string;
  boxes?: Box[];
}

/**
 * Folder-safe ids from file names, unique within one run: `a/0.png` and `b/0.png` become `0` and
 * `0-2`, in manifest order, so a restarted run maps each image to the same folder.
 */
export function imageIds(files: readonly string[]): string[] {
  const used = new Map<string, number>();
  return files.map((f) => {
    const stem = basename(f, extname(f)).replace(/[^A-Za-z0-9._-]/g, '_') || 'image';
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    return n === 1 ? stem : `${stem}-${n}`;
  });
}

function outside(path: string, i: number, file: string, why: string): UsageError {
  return new UsageError(`manifest ${path}: images.${i}.file: '${file}' ${why}; image paths are relative to the manifest's folder and stay inside it`);
}

/**
 * Validate parsed JSON; errors name the manifest and the field (`images.3.boxes.0`). A manifest may
 * come from anyone: its image paths are relative to its folder and may not leave it.
 */
export function parseManifest(json: unknown, path: string): ManifestEntry[] {
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`manifest ${path}: ${describeZodError(parsed.error, { schema: ManifestSchema })}`, { cause: parsed.error });
  }
  const dir = dirname(resolve(path));
  parsed.data.images.forEach((e, i) => {
    const why = unsafeRelativePath(e.file);
    if (why) throw outside(path, i, e.file, why);
  });
  const ids = imageIds(parsed.data.images.map((e) => e.file));
  return parsed.data.images.map((e, i) => ({
    id: ids[i]!,
    source: resolve(dir, e.file),
    ...(e.target !== undefined ? { target: e.target } : {}),
    ...(e.boxes !== undefined ? { boxes: e.boxes as Box[] } : {}),
  }));
}

/** Boxes are in model-input pixels, which only the model knows: check them once it is loaded. */
export function checkBoxes(entries: readonly ManifestEntry[], height: number, width: number, path: string): void {
  entries.forEach((e, i) =>
    e.boxes?.forEach((b, j) => {
      if (b[2] >= width || b[3] >= height) {
        throw new UsageError(`manifest ${path}: images.${i}.boxes.${j}: [${b.join(', ')}] lies outside the model's ${width}×${height} input`);
      }
    }),
  );
}

export async function readManifest(path: string): Promise<ManifestEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`manifest ${path}: cannot read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`manifest ${path}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const entries = parseManifest(json, path);
  const dir = dirname(resolve(path));
  for (const [i, e] of entries.entries()) {
    const file = relative(dir, e.source);
    await resolveInside(dir, file, (err) => outside(path, i, file, err.reason));
  }
  return entries;
}
