import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep, win32 } from 'node:path';

function under(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Why a path taken from a file (not typed by the user) may not be used below `root`, or undefined
 * when it may: absolute paths (POSIX or Windows) and `..` that climbs out are refused.
 */
export function escapesLexically(root: string, p: string): string | undefined {
  if (isAbsolute(p) || win32.isAbsolute(p)) return 'is an absolute path';
  if (!under(resolve(root), resolve(root, p))) return 'leads outside the folder';
  return undefined;
}

/**
 * Why an existing path below `root` resolves outside it through a symlink (of the file or of a
 * folder on the way), or undefined when it stays inside or does not exist (its absence is reported
 * by whoever opens it).
 */
export async function escapesBySymlink(root: string, p: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(resolve(root, p));
  } catch {
    return undefined;
  }
  const realRoot = await realpath(root).catch(() => resolve(root));
  return under(realRoot, real) ? undefined : `resolves to ${real}, outside the folder`;
}
