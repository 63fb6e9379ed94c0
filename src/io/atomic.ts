import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { trackAside, trackTemp, untrackAside, untrackTemp } from './temp-registry.js';

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
  trackTemp(tmp);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    untrackTemp(tmp);
  }
}

/**
 * A fresh empty directory beside `finalDir`, to be filled and then passed to `commitDir` (or
 * `discardDir`). Its name carries our pid so that a later run can tell a dead run's leftovers.
 */
export async function tempDirFor(finalDir: string): Promise<string> {
  const dir = await mkdtemp(join(dirname(finalDir), `${basename(finalDir)}.tmp-${process.pid}-`));
  trackTemp(dir);
  return dir;
}

/** Remove a temp directory from `tempDirFor` that will not be committed. */
export async function discardDir(tmpDir: string): Promise<void> {
  await rm(tmpDir, { recursive: true, force: true });
  untrackTemp(tmpDir);
}

/**
 * Put a fully written directory in place of `finalDir`, replacing any existing one. A directory
 * cannot be renamed over a non-empty one, so the old one is moved aside first and put back if the
 * swap fails; the window where `finalDir` is absent is one rename long.
 */
export async function commitDir(tmpDir: string, finalDir: string): Promise<void> {
  const old = `${finalDir}.old-${suffix()}`;
  let movedAside = false;
  trackAside(old, finalDir);
  try {
    try {
      await rename(finalDir, old);
      movedAside = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await rename(tmpDir, finalDir);
      untrackTemp(tmpDir);
    } catch (err) {
      if (movedAside) await rename(old, finalDir);
      throw err;
    }
    if (movedAside) await rm(old, { recursive: true, force: true });
  } finally {
    untrackAside(old);
  }
}

/** Fill a temporary folder with `files` and rename it to `dir`, unless `signal` aborted meanwhile. */
export async function writeFolderAtomic(dir: string, files: () => Promise<[string, Uint8Array | string][]>, signal?: AbortSignal): Promise<void> {
  await mkdir(join(dir, '..'), { recursive: true });
  const tmp = await tempDirFor(dir);
  try {
    for (const [name, data] of await files()) await writeFile(join(tmp, name), data);
    signal?.throwIfAborted();
  } catch (err) {
    await discardDir(tmp);
    throw err;
  }
  await commitDir(tmp, dir);
}

// `.tmp-<pid>-<8 hex>` (files, moved-aside folders) or `.tmp-<pid>-<6 chars>` (mkdtemp folders).
const LEFTOVER = /\.(tmp|old)-(\d+)-([0-9a-f]{8}|[A-Za-z0-9]{6})$/;

/** Whether a process with this pid runs on this machine (ours counts as alive). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Remove what a killed run (SIGKILL, power cut) left in `dir`: temp files and folders, and folders
 * moved aside for a swap (put back when their replacement never arrived). Only entries whose
 * writer's pid is no longer running are touched, so a concurrent run is safe. Returns the count.
 */
export async function sweepLeftovers(dir: string): Promise<number> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of entries) {
    const m = LEFTOVER.exec(name);
    if (!m || pidAlive(Number(m[2]))) continue;
    const path = join(dir, name);
    if (m[1] === 'old') {
      const finalPath = path.slice(0, path.length - m[0].length);
      const replaced = await stat(finalPath).then(() => true, () => false);
      if (!replaced) {
        await rename(path, finalPath).catch(() => undefined);
        continue;
      }
    }
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
