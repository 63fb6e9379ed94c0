import { mkdtemp, rmdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors/usage-error.js';

function what(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * Fail in one line before any work when `out` cannot become an output folder: it (or the nearest
 * existing folder above it) must be a folder in which a folder can be created, which a probe
 * folder, made and removed at once, shows. Without this an existing file or /dev/null surfaced only
 * after all the computing, and `mkdir -p` below /proc spun forever. Nothing is created for `out`.
 */
export async function checkOutDir(out: string, flag = '--out'): Promise<void> {
  const target = resolve(out);
  let dir = target;
  for (;;) {
    let st: Stats;
    try {
      st = await stat(dir);
    } catch (e) {
      const up = dirname(dir);
      // ENOTDIR: a file on the way, found and named one level up.
      if ((code(e) === 'ENOENT' || code(e) === 'ENOTDIR') && up !== dir) {
        dir = up;
        continue;
      }
      throw new UsageError(`${flag} ${out}: cannot use it as an output folder (${code(e)})`, { cause: e });
    }
    if (!st.isDirectory()) {
      throw new UsageError(`${flag} ${out}: ${dir === target ? '' : `${dir} `}is ${what(st)}, not a folder`);
    }
    break;
  }
  try {
    await rmdir(await mkdtemp(join(dir, '.neuromask-probe-')));
  } catch (e) {
    throw new UsageError(`${flag} ${out}: cannot create folders in ${dir} (${code(e)})`, { cause: e });
  }
}
