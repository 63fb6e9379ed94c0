import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function suffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Readers never see a half-written file: the data goes to a sibling temp file (same directory, so
 * the rename stays on one filesystem and is atomic) that is renamed over `path`. No fsync: we guard
 * against interrupted runs, not power loss.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${suffix()}`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A fresh empty directory beside `finalDir`, to be filled and then passed to `commitDir`. */
export function tempDirFor(finalDir: string): Promise<string> {
  return mkdtemp(join(dirname(finalDir), `${basename(finalDir)}.tmp-`));
}

/**
 * Put a fully written directory in place of `finalDir`, replacing any existing one. A directory
 * cannot be renamed over a non-empty one, so the old one is moved aside first and put back if the
 * swap fails; the window where `finalDir` is absent is one rename long.
 */
export async function commitDir(tmpDir: string, finalDir: string): Promise<void> {
  const old = `${finalDir}.old-${suffix()}`;
  let movedAside = false;
  try {
    await rename(finalDir, old);
    movedAside = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await rename(tmpDir, finalDir);
  } catch (err) {
    if (movedAside) await rename(old, finalDir);
    throw err;
  }
  if (movedAside) await rm(old, { recursive: true, force: true });
}
