import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { ImageError } from '../errors/image-error.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

export interface CollectOptions {
  /** Folders never searched below an argument, e.g. the run's own output folder (`explain .`). */
  exclude?: readonly string[];
}

const realOrUndefined = (p: string): Promise<string | undefined> => realpath(p).catch(() => undefined);

/**
 * The image files under `root`, relative to it, unsorted. Symbolic links are followed, but each
 * real folder is searched once (a link back up the tree is a loop) and excluded folders not at all.
 */
async function walk(root: string, skip: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    const real = await realOrUndefined(dir);
    if (real === undefined || seen.has(real) || (dir !== root && skip.has(real))) return;
    seen.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(dir, e.name);
      // A link's type is its target's; a dangling link is neither and is left out.
      const kind = e.isSymbolicLink() ? await stat(p).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => undefined) : e.isDirectory() ? 'dir' : 'file';
      if (kind === 'dir') await visit(p);
      else if (kind === 'file' && IMAGE_EXT.has(extname(e.name).toLowerCase())) found.push(relative(root, p));
    }
  };
  await visit(root);
  return found;
}

/** Expand the image arguments: files as given, folders to their image files (recursively, sorted). */
export async function collectImages(args: readonly string[], o: CollectOptions = {}): Promise<string[]> {
  const skip = new Set((await Promise.all((o.exclude ?? []).map(realOrUndefined))).filter((p): p is string => p !== undefined));
  const out: string[] = [];
  for (const a of args) {
    const s = await stat(a).catch((cause: unknown) => {
      throw new ImageError('file not found', { source: a, cause });
    });
    if (s.isDirectory()) {
      const entries = (await walk(a, skip)).map((e) => e.split(sep).join('/')).sort();
      const found = entries.map((e) => join(a, e));
      if (found.length === 0) throw new ImageError('folder contains no images (.jpg, .png, .webp, …)', { source: a });
      out.push(...found);
    } else out.push(a);
  }
  return out;
}
