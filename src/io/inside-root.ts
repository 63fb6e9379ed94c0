import { realpath } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';

/**
 * Paths read from a file the user did not write (a TF.js model.json's weight shards, a model
 * card's labels, an evaluate manifest's images) must stay inside that file's folder, or a
 * downloaded model could make us read /etc/passwd or ~/.ssh.
 */
export class PathOutsideRootError extends Error {
  override readonly name = 'PathOutsideRootError';

  constructor(
    readonly path: string,
    readonly root: string,
    readonly reason: string,
  ) {
    super(`'${path}' ${reason}`);
  }
}

/**
 * Why `path` cannot name a file below its folder, or undefined when it can. Pure and
 * platform-independent: both separators count, so a Windows-style `..\..\x` is refused on Linux too.
 */
export function unsafeRelativePath(path: string): string | undefined {
  if (path.trim() === '') return 'is empty';
  if (path.includes('\0')) return 'holds a NUL byte';
  if (isAbsolute(path) || /^[\\/]/.test(path) || /^[A-Za-z]:/.test(path)) return 'is absolute';
  // A `..` that stays below the folder (`sub/../a.png`) is harmless; one that climbs out is not.
  if (posix.normalize(path.replace(/\\/g, '/')).split('/')[0] === '..') return "climbs out of its folder with '..'";
  return undefined;
}

const inside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
};

/**
 * `path` (relative, from an untrusted file) resolved below `root`, symlinks followed: the real
 * path when the file exists, else the joined one (the caller's read then reports it missing).
 * Throws PathOutsideRootError (or what `fail` makes of it: each caller has its own error type) for
 * `..`, absolute paths, and links that resolve outside `root`.
 */
export async function resolveInside(root: string, path: string, fail: (e: PathOutsideRootError) => Error = (e) => e): Promise<string> {
  const why = unsafeRelativePath(path);
  if (why) throw fail(new PathOutsideRootError(path, root, why));
  const joined = join(root, path);
  const real = await realpath(joined).catch(() => undefined);
  if (real === undefined) return joined;
  const realRoot = await realpath(root);
  if (!inside(realRoot, real)) throw fail(new PathOutsideRootError(path, root, `resolves to ${real}, outside ${realRoot}`));
  return real;
}
