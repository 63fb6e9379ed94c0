import { existsSync, renameSync, rmSync } from 'node:fs';

/**
 * Temporary paths of the writes in flight, so that a process that must exit at once (a second
 * Ctrl-C, or work that does not stop in time) can still leave nothing half-written: temp files and
 * folders are removed, and a folder moved aside for a swap is put back if its replacement is absent.
 */
const temps = new Set<string>();
const asides = new Map<string, string>();

export function trackTemp(path: string): void {
  temps.add(path);
}

export function untrackTemp(path: string): void {
  temps.delete(path);
}

/** `old` holds what `finalPath` held until the swap completes. */
export function trackAside(old: string, finalPath: string): void {
  asides.set(old, finalPath);
}

export function untrackAside(old: string): void {
  asides.delete(old);
}

/** Synchronous: called from a signal handler just before `process.exit`. */
export function cleanupTempsSync(): void {
  for (const p of temps) rmSync(p, { recursive: true, force: true });
  temps.clear();
  for (const [old, finalPath] of asides) {
    try {
      if (existsSync(finalPath)) rmSync(old, { recursive: true, force: true });
      else renameSync(old, finalPath);
    } catch {
      // best effort: the next run's sweep finds it by its dead pid
    }
  }
  asides.clear();
}
